package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.store.ResilientRecorder;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.testing.StoppableDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's hard limit holds while PostgreSQL is down: it never depends on a write succeeding. */
class OutageBudgetTest {
  @TempDir Path dir;

  @Test
  void aCappedRunStopsAtItsLimitWhileEveryWriteGoesToTheSpool() throws Exception {
    try (StoppableDatabase db = new StoppableDatabase(dir.resolve("pg"))) {
      CostStore store = new CostStore(CostStore.jdbi(db.dataSource()));
      CostMetrics metrics = new CostMetrics();
      ResilientRecorder recorder =
          new ResilientRecorder(
              store, dir.resolve("spool/cost.jsonl"), 3, Duration.ofMillis(20), (a, e, s) -> {});
      Budgets budgets = new Budgets(store.jdbi(), metrics, List.of(), Clock.systemUTC(), recorder);
      CostTracking tracking =
          new CostTracking(
              CostTrackingOptions.newBuilder()
                  .setPricer(new Pricer(CatalogSource::bundledCatalog, false))
                  .setRecorder(recorder)
                  .setMetrics(metrics)
                  .setBudgets(budgets)
                  .build());
      TestWorkflowEnvironment env = TrackedTestEnvironment.create(tracking);
      try {
        Worker worker = env.newWorker("outage");
        worker.registerWorkflowImplementationTypes(BudgetedPipeline.StoryboardWorkflowImpl.class);
        BudgetedPipeline.StudioImpl studio = new BudgetedPipeline.StudioImpl();
        worker.registerActivitiesImplementations(studio, budgets.checkActivity());
        env.start();

        db.stop();
        BudgetedPipeline.StoryboardWorkflow wf =
            env.getWorkflowClient()
                .newWorkflowStub(
                    BudgetedPipeline.StoryboardWorkflow.class,
                    WorkflowOptions.newBuilder()
                        .setTaskQueue("outage")
                        .setWorkflowId("capped-in-outage")
                        .setMemo(Map.of("costwise.budget", Map.of("hardUsd", "1.20")))
                        .build());
        Throwable failed = catchThrowable(() -> wf.run(5, false));
        String runId = WorkflowStub.fromTyped(wf).getExecution().getRunId();

        assertThat(failed).isInstanceOf(WorkflowFailedException.class);
        ApplicationFailure f = (ApplicationFailure) failed.getCause();
        assertThat(f.getType()).isEqualTo(BudgetExceeded.TYPE);
        BudgetExceeded.Details d = f.getDetails().get(BudgetExceeded.Details.class);
        assertThat(d.spentUsd()).isEqualByComparingTo("1.44"); // three $0.48 storyboards
        assertThat(studio.calls("capped-in-outage")).isEqualTo(3);
        assertThat(recorder.spooledCount()).isEqualTo(3);
        assertThat(recorder.unwrittenUsd(runId)).isEqualByComparingTo("1.44");

        db.start();
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (recorder.spooledCount() > 0 && System.nanoTime() < end) {
          Thread.sleep(100);
        }
        assertThat(recorder.spooledCount()).isZero();
        List<StepRow> steps = store.steps(runId);
        assertThat(steps).hasSize(3);
        BigDecimal fromSteps =
            steps.stream().map(StepRow::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
        assertThat(fromSteps).isEqualByComparingTo("1.44");
        assertThat(store.execution(runId).orElseThrow().costUsd()).isEqualByComparingTo(fromSteps);
      } finally {
        env.close();
        recorder.close();
      }
    }
  }
}
