package dev.costwise.estimate;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The database reads, pricing and writes of the {@code CostEstimate} workflow. */
@ActivityInterface
public interface EstimateActivities {
  /** Reads history, prices the plan and checks the budget. */
  @ActivityMethod(name = "CostEstimateCompute")
  Estimate compute(EstimateRequest request);

  /** Saves the estimate, linked to its run, and returns it with its id. */
  @ActivityMethod(name = "CostEstimateSave")
  Estimate save(Estimate estimate);
}
