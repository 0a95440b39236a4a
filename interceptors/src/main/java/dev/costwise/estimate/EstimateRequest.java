package dev.costwise.estimate;

import java.util.List;

/**
 * What to estimate: a workflow type, optionally with a plan of expected calls, and optionally the
 * run it is for. With a {@code runId} the estimate is linked to that run; with only a {@code
 * workflowId} it is linked to the next run of that id. {@code minSamples} and {@code historyDays}
 * override the options for this request when set.
 */
public record EstimateRequest(
    String workflowType,
    String workflowId,
    String runId,
    List<PlannedCall> plan,
    Integer minSamples,
    Integer historyDays) {

  /** Rejects a request without workflow type; an absent plan is an empty one. */
  public EstimateRequest {
    if (workflowType == null || workflowType.isBlank()) {
      throw new EstimateException("an estimate needs the workflowType to estimate");
    }
    plan = plan == null ? List.of() : List.copyOf(plan);
    workflowId = blankToNull(workflowId);
    runId = blankToNull(runId);
  }

  /** An estimate of {@code workflowType} from history or its registered estimator. */
  public static EstimateRequest of(String workflowType) {
    return new EstimateRequest(workflowType, null, null, List.of(), null, null);
  }

  /** An estimate of {@code workflowType} following {@code plan}. */
  public static EstimateRequest of(String workflowType, List<PlannedCall> plan) {
    return new EstimateRequest(workflowType, null, null, plan, null, null);
  }

  /** This request, linked to the next run of {@code workflowId}. */
  public EstimateRequest forWorkflowId(String id) {
    return new EstimateRequest(workflowType, id, runId, plan, minSamples, historyDays);
  }

  /** This request, linked to the run {@code id}. */
  public EstimateRequest forRunId(String id) {
    return new EstimateRequest(workflowType, workflowId, id, plan, minSamples, historyDays);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
