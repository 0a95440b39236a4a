package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.store.CostStore;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostSearchAttributes;
import dev.costwise.temporal.CostTracking;
import dev.costwise.testing.TestDatabase;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Budgets on a worker whose workflow-thread pool is smaller than a run's fan-out. Every workflow
 * thread is a real thread of that pool ({@code WorkerFactoryOptions.setMaxWorkflowThreadCount}, 600
 * by default, shared by every run the worker caches); when the pool is full the SDK rejects the
 * workflow task and retries it. A run's activities in flight must not take a thread each.
 */
class WorkflowThreadPoolTest {
  private static final String QUEUE = "budget-thread-pool";
  private TestWorkflowEnvironment env;

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
  }

  @Test
  void aRunWithMoreActivitiesInFlightThanTheWorkerHasWorkflowThreadsCompletes() throws Exception {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    Budgets budgets = new Budgets(jdbi);
    CostTracking tracking = BudgetedPipeline.tracking(jdbi, budgets);
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkerFactoryOptions(
                    WorkerFactoryOptions.newBuilder()
                        .setWorkerInterceptors(tracking.workerInterceptor())
                        .setMaxWorkflowThreadCount(16)
                        .build())
                .build());
    CostSearchAttributes.ALL.forEach(env::registerSearchAttribute);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(BudgetedPipeline.WideStoryboardsImpl.class);
    BudgetedPipeline.StudioImpl studio = new BudgetedPipeline.StudioImpl();
    studio.staggerMillis = 60; // results arrive apart, a few per workflow task at most
    worker.registerActivitiesImplementations(studio, budgets.checkActivity());
    env.start();
    WorkflowClient client = env.getWorkflowClient();
    WorkflowStub run =
        client.newUntypedWorkflowStub(
            "WideStoryboards",
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowId("wide-on-16-threads")
                .setMemo(Map.of("costwise.budget", Map.of("hardUsd", "100.00")))
                .build());

    // 24 storyboards at once on a pool of 16 workflow threads, then one more
    run.start(24);

    assertThat(run.getResult(30, TimeUnit.SECONDS, String.class)).isEqualTo("drew 25");
    RunCost report = run.query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd()).as("25 storyboards settled").isEqualByComparingTo("12.00");
    assertThat(report.reservedUsd()).isEqualByComparingTo("0");
    assertThat(studio.calls("wide-on-16-threads")).isEqualTo(25);
  }
}
