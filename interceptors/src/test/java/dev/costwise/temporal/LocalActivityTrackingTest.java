package dev.costwise.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.store.StepRow;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Local activities are tracked like any other, with the run's tags. */
class LocalActivityTrackingTest {
  @WorkflowInterface
  public interface Summarize {
    @WorkflowMethod
    String summarize(String text);
  }

  @ActivityInterface
  public interface Llm {
    String complete(String prompt);
  }

  public static class SummarizeImpl implements Summarize {
    private final Llm llm =
        Workflow.newLocalActivityStub(
            Llm.class,
            LocalActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(10))
                .build());

    @Override
    public String summarize(String text) {
      return llm.complete("Summarize: " + text);
    }
  }

  public static class LlmImpl implements Llm {
    @Override
    public String complete(String prompt) {
      CostUsage.record(
          Usage.of("openai", "gpt-4o-mini").inputTokens(2_000).outputTokens(500).build());
      return "summary";
    }
  }

  @Test
  void localActivityUsageIsPricedStoredAndTagged() {
    CostStore store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(Pricer.of(CatalogSource.bundledCatalog()))
                .setRecorder(store)
                .build());
    try (TestWorkflowEnvironment env = TrackedTestEnvironment.create(tracking)) {
      Worker worker = env.newWorker("local");
      worker.registerWorkflowImplementationTypes(SummarizeImpl.class);
      worker.registerActivitiesImplementations(new LlmImpl());
      env.start();
      Summarize wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  Summarize.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue("local")
                      .setMemo(Map.of("costwise.tags", Map.of("tenant", "globex")))
                      .build());
      assertThat(wf.summarize("a long text")).isEqualTo("summary");
      String runId = WorkflowStub.fromTyped(wf).getExecution().getRunId();

      List<StepRow> steps = store.steps(runId);
      assertThat(steps)
          .singleElement()
          .satisfies(
              s -> {
                assertThat(s.activityType()).isEqualTo("Complete");
                assertThat(s.workflowType()).isEqualTo("Summarize");
                assertThat(s.costUsd())
                    .isEqualByComparingTo("0.0006"); // 2000 * 0.15/M + 500 * 0.60/M
                assertThat(s.tags()).contains("\"tenant\"", "\"globex\"");
                assertThat(s.outcome()).isEqualTo("COMPLETED");
              });
    }
  }
}
