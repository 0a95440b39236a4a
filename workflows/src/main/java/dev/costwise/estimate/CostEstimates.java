package dev.costwise.estimate;

import io.temporal.worker.Worker;
import io.temporal.worker.WorkflowImplementationOptions;

/** Registers the {@code CostEstimate} workflow and its activities on a worker. */
public final class CostEstimates {
  private CostEstimates() {}

  /** Registers the workflow and activities built from these parts on {@code worker}. */
  public static void register(
      Worker worker, CostEstimator estimator, BudgetFit budget, EstimateStore store) {
    register(worker, WorkflowImplementationOptions.getDefaultInstance(), estimator, budget, store);
  }

  /** As above, with {@code options} for the workflow implementation. */
  public static void register(
      Worker worker,
      WorkflowImplementationOptions options,
      CostEstimator estimator,
      BudgetFit budget,
      EstimateStore store) {
    worker.registerWorkflowImplementationTypes(options, CostEstimateWorkflowImpl.class);
    worker.registerActivitiesImplementations(new EstimateActivitiesImpl(estimator, budget, store));
  }
}
