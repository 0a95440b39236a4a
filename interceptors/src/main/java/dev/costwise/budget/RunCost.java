package dev.costwise.budget;

import dev.costwise.pricing.CatalogVersion;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * A run's cost as of its latest budget check: recorded in history as the check's result and
 * returned by the {@code cost} query.
 *
 * @param spentUsd the run's priced total so far (every attempt, failed ones too)
 * @param byModel spend per priced model
 * @param byActivity spend per activity type
 * @param budgets the period budgets covering this run, with their utilisation
 * @param exceeded what was exceeded when {@code status} is {@code EXCEEDED}, else null
 * @param notes what the reader should know about how the figures were obtained (settings that were
 *     invalid and replaced by defaults, a database outage during the check)
 * @param rootRunId the first run of the tree this run belongs to (itself at the top); null in
 *     reports recorded before trees were tracked
 * @param parentRunId the run that started this one as a child workflow, or null
 * @param subtreeSpentUsd what the run's own limits are compared with: its chain (the runs it
 *     continued from, and itself) and every run those started; null before trees were tracked
 * @param reservedUsd expected cost of the run's activities scheduled and not yet settled
 * @param catalogs the catalog versions (source, as-of date, content hash) the run's recorded lines
 *     were priced with, oldest first; empty in reports recorded before versions were carried
 * @param heldUsd the part of {@code reservedUsd} reserved for activities that already completed
 *     within their reservation and wait to be settled in a batch: each cost at most what it
 *     reserved, and {@code spentUsd} takes their real cost once they are settled; null for runs
 *     whose budget checks predate settling in batches (or are off), and in reports recorded in
 *     history or read from the store rather than queried
 */
public record RunCost(
    String runId,
    BigDecimal spentUsd,
    BigDecimal softLimitUsd,
    BigDecimal hardLimitUsd,
    BudgetStatus status,
    Map<String, BigDecimal> byModel,
    Map<String, BigDecimal> byActivity,
    List<BudgetUtilisation> budgets,
    BudgetExceeded.Details exceeded,
    List<String> notes,
    String rootRunId,
    String parentRunId,
    BigDecimal subtreeSpentUsd,
    BigDecimal reservedUsd,
    List<CatalogVersion> catalogs,
    BigDecimal heldUsd) {

  /** Copies the notes and catalogs; reports recorded before they existed have none. */
  public RunCost {
    notes = notes == null ? List.of() : List.copyOf(notes);
    catalogs = catalogs == null ? List.of() : List.copyOf(catalogs);
  }

  /** A report without a held amount. */
  public RunCost(
      String runId,
      BigDecimal spentUsd,
      BigDecimal softLimitUsd,
      BigDecimal hardLimitUsd,
      BudgetStatus status,
      Map<String, BigDecimal> byModel,
      Map<String, BigDecimal> byActivity,
      List<BudgetUtilisation> budgets,
      BudgetExceeded.Details exceeded,
      List<String> notes,
      String rootRunId,
      String parentRunId,
      BigDecimal subtreeSpentUsd,
      BigDecimal reservedUsd,
      List<CatalogVersion> catalogs) {
    this(
        runId,
        spentUsd,
        softLimitUsd,
        hardLimitUsd,
        status,
        byModel,
        byActivity,
        budgets,
        exceeded,
        notes,
        rootRunId,
        parentRunId,
        subtreeSpentUsd,
        reservedUsd,
        catalogs,
        null);
  }

  /** A report without catalog versions. */
  public RunCost(
      String runId,
      BigDecimal spentUsd,
      BigDecimal softLimitUsd,
      BigDecimal hardLimitUsd,
      BudgetStatus status,
      Map<String, BigDecimal> byModel,
      Map<String, BigDecimal> byActivity,
      List<BudgetUtilisation> budgets,
      BudgetExceeded.Details exceeded,
      List<String> notes,
      String rootRunId,
      String parentRunId,
      BigDecimal subtreeSpentUsd,
      BigDecimal reservedUsd) {
    this(
        runId,
        spentUsd,
        softLimitUsd,
        hardLimitUsd,
        status,
        byModel,
        byActivity,
        budgets,
        exceeded,
        notes,
        rootRunId,
        parentRunId,
        subtreeSpentUsd,
        reservedUsd,
        null);
  }

  /** A report without tree figures (a run checked after each activity). */
  public RunCost(
      String runId,
      BigDecimal spentUsd,
      BigDecimal softLimitUsd,
      BigDecimal hardLimitUsd,
      BudgetStatus status,
      Map<String, BigDecimal> byModel,
      Map<String, BigDecimal> byActivity,
      List<BudgetUtilisation> budgets,
      BudgetExceeded.Details exceeded,
      List<String> notes) {
    this(
        runId,
        spentUsd,
        softLimitUsd,
        hardLimitUsd,
        status,
        byModel,
        byActivity,
        budgets,
        exceeded,
        notes,
        null,
        null,
        null,
        null);
  }

  /** This report with {@code extra} notes after its own. */
  public RunCost withNotes(List<String> extra) {
    if (extra.isEmpty()) {
      return this;
    }
    List<String> all = new java.util.ArrayList<>(notes);
    extra.stream().filter(n -> !all.contains(n)).forEach(all::add);
    return new RunCost(
        runId,
        spentUsd,
        softLimitUsd,
        hardLimitUsd,
        status,
        byModel,
        byActivity,
        budgets,
        exceeded,
        all,
        rootRunId,
        parentRunId,
        subtreeSpentUsd,
        reservedUsd,
        catalogs,
        heldUsd);
  }

  /** This report with {@code held} as its held amount. */
  public RunCost withHeld(BigDecimal held) {
    return new RunCost(
        runId,
        spentUsd,
        softLimitUsd,
        hardLimitUsd,
        status,
        byModel,
        byActivity,
        budgets,
        exceeded,
        notes,
        rootRunId,
        parentRunId,
        subtreeSpentUsd,
        reservedUsd,
        catalogs,
        held);
  }

  /** The report of a run nothing has been checked for yet. */
  public static RunCost empty(String runId, ExecutionLimits limits) {
    return new RunCost(
        runId,
        BigDecimal.ZERO,
        limits.softUsd(),
        limits.hardUsd(),
        BudgetStatus.OK,
        Map.of(),
        Map.of(),
        List.of(),
        null,
        List.of());
  }
}
