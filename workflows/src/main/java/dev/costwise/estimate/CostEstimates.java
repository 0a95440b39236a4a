package dev.costwise.estimate;

import io.temporal.worker.Worker;

/** Registers the {@code CostEstimate} workflow and its activities on a worker. */
public final class CostEstimates {
  private CostEstimates() {}

  /** Registers the workflow and activities built from these parts on {@code worker}. */
  public static void register(
      Worker worker, CostEstimator estimator, BudgetCheck budget, EstimateStore store) {
    worker.registerWorkflowImplementationTypes(CostEstimateWorkflowImpl.class);
    worker.registerActivitiesImplementations(new EstimateActivitiesImpl(estimator, budget, store));
  }
}
