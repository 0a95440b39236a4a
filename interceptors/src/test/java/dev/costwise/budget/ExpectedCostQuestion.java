package dev.costwise.budget;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** The settlement request a run sends to learn a type's expected cost, as budget tests send it. */
final class ExpectedCostQuestion {
  private ExpectedCostQuestion() {}

  /**
   * Run {@code runId} of {@code workflowType}, under no limit and settling no activity, asking what
   * an activity of {@code activityType} is expected to cost.
   */
  static BudgetSettleRequest of(String runId, String workflowType, String activityType) {
    return new BudgetSettleRequest(
        runId,
        "wf-" + runId,
        workflowType,
        "queue",
        Map.of(),
        runId,
        List.of(new LimitScope(runId, ExecutionLimits.NONE)),
        List.of(),
        BigDecimal.ZERO,
        null,
        null,
        List.of(activityType),
        null);
  }
}
