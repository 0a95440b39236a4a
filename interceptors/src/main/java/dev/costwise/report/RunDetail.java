package dev.costwise.report;

import dev.costwise.store.ExecutionTotals;
import dev.costwise.usage.UsageCounts;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * Everything the run page shows about one run: its totals and place in its tree, every activity
 * attempt (for the timeline), cost and usage per step with the estimate and variance, the limits it
 * crossed, and its child runs with their subtree totals.
 *
 * @param parentRunId the run that started this one as a child, or null
 * @param rootRunId the first run of the tree this run belongs to (itself when it is the root)
 * @param subtreeUsd this run's cost plus its descendants'
 * @param report the estimate comparison per step and in total (estimate fields null when none)
 * @param stepUsage usage per step (activity type and model), in the order of {@code report.steps}
 * @param attempts every attempt that recorded usage, in start order
 * @param limits the limits the run was given, crossed or not: its own and its ancestors' that cover
 *     it; null when they were not recorded (runs recorded before limits were stored)
 * @param crossings the run's limit crossings and refusals, oldest first; empty when none
 * @param children the run's child runs, each with its own children
 * @param childrenTruncated whether the tree was cut at {@value RunDetails#MAX_TREE_RUNS} runs or
 *     {@value RunDetails#MAX_TREE_DEPTH} levels
 */
public record RunDetail(
    ExecutionTotals totals,
    String parentRunId,
    String rootRunId,
    BigDecimal subtreeUsd,
    ExecutionReport report,
    List<StepUsage> stepUsage,
    List<Attempt> attempts,
    dev.costwise.store.RunLimits limits,
    List<Crossing> crossings,
    List<ChildRun> children,
    boolean childrenTruncated) {

  /**
   * One activity attempt: when it ran, how it ended and what it used and cost.
   *
   * @param endedAt when its cost was recorded (the attempt's end)
   * @param models the models it called, in recording order
   * @param costUsd its priced cost; unpriced lines add nothing and are counted in {@code unpriced}
   */
  public record Attempt(
      String activityId,
      String activityType,
      int attempt,
      String outcome,
      Instant startedAt,
      Instant endedAt,
      List<String> models,
      BigDecimal costUsd,
      int unpriced,
      UsageCounts usage) {

    /** Whether the attempt failed or was interrupted and still cost something or used something. */
    public boolean failedButBilled() {
      return !"COMPLETED".equals(outcome) && !"CANCELED".equals(outcome);
    }
  }

  /** The usage behind one step (activity type and model) of the run, summed over its attempts. */
  public record StepUsage(
      String activityType, String model, int attempts, int failedAttempts, UsageCounts usage) {}

  /**
   * A limit the run crossed, or an activity it was refused before running.
   *
   * @param threshold {@code soft}, {@code hard}, a period budget's percentage, or {@code
   *     refused:<limit>} for a refusal ({@code refused:hard}, {@code refused:tree:<run id>}, {@code
   *     refused:budget:<name>})
   * @param subject {@code run:<id>} for the run's own limits and its refusals, {@code
   *     budget:<name>} for a period budget that blocked it
   * @param action {@code NOTIFY}, {@code BLOCK}, {@code FAIL}, or {@code REFUSE} for a refusal
   * @param spentUsd what the run (or budget) had spent when the limit was crossed; for a refusal,
   *     what was spent or reserved against the limit
   * @param activityType for a refusal, the activity type refused; else null
   * @param expectedUsd for a refusal, that activity's expected cost; else null
   */
  public record Crossing(
      String subject,
      String threshold,
      String level,
      String action,
      BigDecimal limitUsd,
      BigDecimal spentUsd,
      Instant at,
      String activityType,
      BigDecimal expectedUsd) {

    /** Whether this is an activity refused before running rather than a crossing. */
    public boolean refusal() {
      return "REFUSE".equals(action);
    }

    /** For a refusal, the limit refused against ({@code hard}, {@code tree:<run>}, ...). */
    public String refusedLimit() {
      return refusal() && threshold.startsWith("refused:") ? threshold.substring(8) : null;
    }
  }

  /** A child run with its own cost, its subtree's and its children. */
  public record ChildRun(
      String runId,
      String workflowId,
      String workflowType,
      BigDecimal costUsd,
      BigDecimal subtreeUsd,
      Instant firstRecordedAt,
      List<ChildRun> children) {}
}
