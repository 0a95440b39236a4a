package dev.costwise.budget;

import java.util.List;
import java.util.Map;

/**
 * What a run asks the budget service, as a local activity, before the first activity of a type
 * (expected costs) and after each activity (what it cost, and how the limits covering the run
 * stand). Everything the run decides from the answer is recorded in history with it.
 *
 * @param scopes the limits covering the run: its own (its chain's) first, then its ancestors'
 * @param readScopes which of {@code scopes} (by chain run id) to read spend for from the store: the
 *     ancestors', and the run's own once it has started children; a run without children knows its
 *     own spend from its settlements
 * @param ownSpentUsd the run's chain's own spend known to the run before this settlement
 * @param activityType the activity to settle, or null when only asking
 * @param activityId that activity's id, or null
 * @param expectTypes activity types whose expected cost the run wants to know
 * @param activityCompleted whether the activity to settle completed (its last attempt then has a
 *     {@code COMPLETED} line if it reported usage); null when not known (requests recorded before
 *     this field)
 */
public record BudgetSettleRequest(
    String runId,
    String workflowId,
    String workflowType,
    String taskQueue,
    Map<String, String> tags,
    String rootRunId,
    List<LimitScope> scopes,
    List<String> readScopes,
    java.math.BigDecimal ownSpentUsd,
    String activityType,
    String activityId,
    List<String> expectTypes,
    Boolean activityCompleted) {

  /** A request that does not say whether the activity completed. */
  public BudgetSettleRequest(
      String runId,
      String workflowId,
      String workflowType,
      String taskQueue,
      Map<String, String> tags,
      String rootRunId,
      List<LimitScope> scopes,
      List<String> readScopes,
      java.math.BigDecimal ownSpentUsd,
      String activityType,
      String activityId,
      List<String> expectTypes) {
    this(
        runId,
        workflowId,
        workflowType,
        taskQueue,
        tags,
        rootRunId,
        scopes,
        readScopes,
        ownSpentUsd,
        activityType,
        activityId,
        expectTypes,
        null);
  }

  /** This request with the run's chain's spend known before it set to {@code usd}. */
  public BudgetSettleRequest withOwnSpentUsd(java.math.BigDecimal usd) {
    return new BudgetSettleRequest(
        runId,
        workflowId,
        workflowType,
        taskQueue,
        tags,
        rootRunId,
        scopes,
        readScopes,
        usd,
        activityType,
        activityId,
        expectTypes,
        activityCompleted);
  }

  /** Copies the lists and maps; nulls become empty. */
  public BudgetSettleRequest {
    tags = tags == null ? Map.of() : Map.copyOf(tags);
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
    readScopes = readScopes == null ? List.of() : List.copyOf(readScopes);
    expectTypes = expectTypes == null ? List.of() : List.copyOf(expectTypes);
  }
}
