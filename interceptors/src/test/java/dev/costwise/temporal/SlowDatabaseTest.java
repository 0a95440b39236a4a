package dev.costwise.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.store.ResilientRecorder;
import dev.costwise.store.StepRow;
import dev.costwise.testing.Eventually;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tracking never makes an activity exceed its timeout: when PostgreSQL is slower than what is left
 * of the attempt's start-to-close timeout, the cost goes to the spool and the activity completes,
 * so Temporal never runs (and the provider never bills) it a second time.
 */
class SlowDatabaseTest {
  @TempDir Path dir;

  @ActivityInterface
  public interface Writer {
    String write(String topic);
  }

  @WorkflowInterface
  public interface ShortTimeoutWorkflow {
    @WorkflowMethod
    String run();
  }

  public static final class ShortTimeoutWorkflowImpl implements ShortTimeoutWorkflow {
    private final Writer writer =
        Workflow.newActivityStub(
            Writer.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(3))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
                .build());

    @Override
    public String run() {
      return writer.write("otters");
    }
  }

  static final class WriterImpl implements Writer {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String write(String topic) {
      calls.incrementAndGet();
      CostUsage.record(
          Usage.of("openai", "gpt-4o-mini").inputTokens(1_000).outputTokens(100).build());
      return "script about " + topic;
    }
  }

  @Test
  void aCostWriteSlowerThanTheActivityTimeoutIsSpooledAndTheActivityRunsOnce() throws Exception {
    DataSource ds = TestDatabase.fresh();
    CostStore store = new CostStore(CostStore.jdbi(ds));
    // waits up to 10 s for the database unless the attempt's deadline is sooner
    ResilientRecorder recorder =
        new ResilientRecorder(
            store,
            dir.resolve("spool/cost.jsonl"),
            3,
            Duration.ofMillis(20),
            (a, e, s) -> {},
            500,
            Duration.ofSeconds(10));
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(new Pricer(CatalogSource::bundledCatalog, false))
                .setRecorder(recorder)
                .build());
    TestWorkflowEnvironment env = TrackedTestEnvironment.create(tracking);
    WriterImpl writer = new WriterImpl();
    try (Connection lock = ds.getConnection()) {
      Worker worker = env.newWorker("slow-db");
      worker.registerWorkflowImplementationTypes(ShortTimeoutWorkflowImpl.class);
      worker.registerActivitiesImplementations(writer);
      env.start();
      lock.setAutoCommit(false);
      lock.createStatement().execute("LOCK TABLE cost_execution IN ACCESS EXCLUSIVE MODE");

      ShortTimeoutWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  ShortTimeoutWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue("slow-db")
                      .setWorkflowId("slow-db")
                      .build());
      assertThat(wf.run()).isEqualTo("script about otters");
      String runId = WorkflowStub.fromTyped(wf).getExecution().getRunId();
      assertThat(writer.calls.get()).as("the activity ran once, within its timeout").isEqualTo(1);
      assertThat(recorder.spooledCount()).isEqualTo(1);
      lock.rollback();

      Eventually.until(
          "the spool is written", Duration.ofSeconds(30), () -> recorder.spooledCount() == 0);
      List<StepRow> steps = store.steps(runId);
      assertThat(steps).singleElement().satisfies(s -> assertThat(s.attempt()).isEqualTo(1));
      assertThat(store.execution(runId).orElseThrow().costUsd())
          .isEqualByComparingTo(steps.get(0).costUsd())
          .isEqualByComparingTo(new BigDecimal("0.00021"));
    } finally {
      env.close();
      recorder.close();
    }
  }
}
