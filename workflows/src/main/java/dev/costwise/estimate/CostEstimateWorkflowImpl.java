package dev.costwise.estimate;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** Runs the estimate in activities, so the workflow itself stays deterministic. */
public final class CostEstimateWorkflowImpl implements CostEstimateWorkflow {
  private final EstimateActivities activities =
      Workflow.newActivityStub(
          EstimateActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(1))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setMaximumAttempts(5)
                      .setDoNotRetry(
                          EstimateException.class.getName(),
                          IllegalArgumentException.class.getName())
                      .build())
              .build());

  @Override
  public Estimate estimate(EstimateRequest request) {
    return activities.save(activities.compute(request));
  }
}
