package dev.costwise.estimate;

import java.util.List;

/**
 * Declares the calls a workflow type is expected to make, so it can be estimated without a plan in
 * the request. Registered per workflow type on the {@link CostEstimator}.
 */
@FunctionalInterface
public interface WorkflowEstimator {
  /** The expected calls of one run, for the request (which may carry the run's workflow id). */
  List<PlannedCall> expectedCalls(EstimateRequest request);
}
