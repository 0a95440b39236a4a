package dev.costwise.testing;

import dev.costwise.temporal.CostTracking;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactoryOptions;

/** The Temporal test server with Costwise's interceptor on every worker it creates. */
public final class TrackedTestEnvironment {
  private TrackedTestEnvironment() {}

  /**
   * A new test environment whose workers run {@code tracking}'s interceptor; start it after
   * registering.
   */
  public static TestWorkflowEnvironment create(CostTracking tracking) {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkerFactoryOptions(
                WorkerFactoryOptions.newBuilder()
                    .setWorkerInterceptors(tracking.workerInterceptor())
                    .build())
            .build());
  }
}
