package dev.costwise.estimate;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The {@code CostEstimate} workflow: estimates one run of a workflow type before it starts, saves
 * the estimate linked to the run it is for, and returns it. Start it from any client, e.g. {@code
 * temporal workflow start --type CostEstimate --task-queue costwise --input
 * '{"workflowType":"..."}'}.
 */
@WorkflowInterface
public interface CostEstimateWorkflow {
  /** The workflow type name. */
  String TYPE = "CostEstimate";

  /** Estimates, checks the budget, saves, and returns the saved estimate. */
  @WorkflowMethod(name = TYPE)
  Estimate estimate(EstimateRequest request);
}
