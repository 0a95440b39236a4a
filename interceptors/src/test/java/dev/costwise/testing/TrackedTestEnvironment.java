package dev.costwise.testing;

import dev.costwise.temporal.CostTracking;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.interceptors.WorkflowClientInterceptor;
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
    return create(tracking, new WorkflowClientInterceptor[0]);
  }

  /**
   * As {@link #create(CostTracking)}, with {@code clientInterceptors} on the environment's client,
   * which its workers' activities use too ({@code Activity.getExecutionContext()
   * .getWorkflowClient()}).
   */
  public static TestWorkflowEnvironment create(
      CostTracking tracking, WorkflowClientInterceptor... clientInterceptors) {
    TestEnvironmentOptions.Builder options =
        TestEnvironmentOptions.newBuilder()
            .setWorkerFactoryOptions(
                WorkerFactoryOptions.newBuilder()
                    .setWorkerInterceptors(tracking.workerInterceptor())
                    .build());
    if (clientInterceptors.length > 0) {
      options.setWorkflowClientOptions(
          WorkflowClientOptions.newBuilder().setInterceptors(clientInterceptors).build());
    }
    return TestWorkflowEnvironment.newInstance(options.build());
  }
}
