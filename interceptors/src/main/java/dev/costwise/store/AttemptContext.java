package dev.costwise.store;

import java.time.Instant;

/**
 * Where an activity attempt ran: the Temporal identifiers a cost row is filed under, and the limits
 * its run was given ({@code limits}, null when not known), which the run's execution row keeps.
 */
public record AttemptContext(
    String namespace,
    String workflowId,
    String workflowType,
    String runId,
    String activityId,
    String activityType,
    int attempt,
    String taskQueue,
    Instant startedAt,
    String rootRunId,
    String parentRunId,
    String chainRunId,
    RunLimits limits) {

  /** An attempt of a run whose limits are not known. */
  public AttemptContext(
      String namespace,
      String workflowId,
      String workflowType,
      String runId,
      String activityId,
      String activityType,
      int attempt,
      String taskQueue,
      Instant startedAt,
      String rootRunId,
      String parentRunId,
      String chainRunId) {
    this(
        namespace,
        workflowId,
        workflowType,
        runId,
        activityId,
        activityType,
        attempt,
        taskQueue,
        startedAt,
        rootRunId,
        parentRunId,
        chainRunId,
        null);
  }

  /** An attempt of a run at the top of its own tree (no parent, its own root and chain). */
  public AttemptContext(
      String namespace,
      String workflowId,
      String workflowType,
      String runId,
      String activityId,
      String activityType,
      int attempt,
      String taskQueue,
      Instant startedAt) {
    this(
        namespace,
        workflowId,
        workflowType,
        runId,
        activityId,
        activityType,
        attempt,
        taskQueue,
        startedAt,
        null,
        null,
        null);
  }

  /**
   * Rejects missing identifiers and attempts below 1; a missing root or chain means the run itself.
   */
  public AttemptContext {
    requireText(namespace, "namespace");
    requireText(workflowId, "workflowId");
    requireText(workflowType, "workflowType");
    requireText(runId, "runId");
    requireText(activityId, "activityId");
    requireText(activityType, "activityType");
    requireText(taskQueue, "taskQueue");
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be 1 or more, was " + attempt);
    }
    if (startedAt == null) {
      throw new IllegalArgumentException("startedAt is required");
    }
    rootRunId = rootRunId == null || rootRunId.isBlank() ? runId : rootRunId;
    chainRunId = chainRunId == null || chainRunId.isBlank() ? runId : chainRunId;
    parentRunId = parentRunId == null || parentRunId.isBlank() ? null : parentRunId;
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is required");
    }
  }
}
