package dev.costwise.budget;

import java.math.BigDecimal;
import java.util.Map;

/**
 * What the workflow interceptor asks the budget check: the run, the limits in force and, for an
 * explicit check before spending, the expected cost of the next step.
 *
 * @param estimateUsd for an explicit check before spending, the cost about to be spent (added to
 *     the totals when comparing, and blocking budgets apply); null for the check after an activity
 * @param activityType the activity that just completed, or the caller of an explicit check
 * @param activityId that activity's id, or null
 */
public record BudgetCheckRequest(
    String runId,
    String workflowId,
    String workflowType,
    String taskQueue,
    Map<String, String> tags,
    ExecutionLimits limits,
    BigDecimal estimateUsd,
    String activityType,
    String activityId) {}
