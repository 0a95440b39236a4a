package dev.costwise.budget;

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
 */
public record CostReport(
    String runId,
    BigDecimal spentUsd,
    BigDecimal softLimitUsd,
    BigDecimal hardLimitUsd,
    BudgetStatus status,
    Map<String, BigDecimal> byModel,
    Map<String, BigDecimal> byActivity,
    List<BudgetUtilisation> budgets,
    BudgetExceeded.Details exceeded) {

  /** The report of a run nothing has been checked for yet. */
  public static CostReport empty(String runId, ExecutionLimits limits) {
    return new CostReport(
        runId,
        BigDecimal.ZERO,
        limits.softUsd(),
        limits.hardUsd(),
        BudgetStatus.OK,
        Map.of(),
        Map.of(),
        List.of(),
        null);
  }
}
