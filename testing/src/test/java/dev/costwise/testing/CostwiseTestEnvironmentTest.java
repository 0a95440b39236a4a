package dev.costwise.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.budget.ExecutionLimits;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostwiseRun;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an adopter's test looks like: three lines to a wired environment, then plain Temporal. */
class CostwiseTestEnvironmentTest {
  @WorkflowInterface
  public interface Summarize {
    @WorkflowMethod
    String run(int chapters);
  }

  @ActivityInterface
  public interface Llm {
    String summarize(int chapter);
  }

  public static final class SummarizeImpl implements Summarize {
    private final Llm llm =
        Workflow.newActivityStub(
            Llm.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(10)).build());

    @Override
    public String run(int chapters) {
      for (int i = 1; i <= chapters; i++) {
        llm.summarize(i);
      }
      return "done";
    }
  }

  static final class LlmImpl implements Llm {
    @Override
    public String summarize(int chapter) {
      // 100k input + 10k output tokens of gpt-4o: 0.25 + 0.10 = $0.35
      CostUsage.record(
          Usage.of("openai", "gpt-4o").inputTokens(100_000).outputTokens(10_000).build());
      return "summary " + chapter;
    }
  }

  @Test
  void aWorkflowsCostIsStoredAndItsTypesDefaultLimitHolds() {
    try (var costwise =
        CostwiseTestEnvironment.start(
            p -> p.setDefaultLimits("Summarize", ExecutionLimits.of(null, "1.00")))) {
      var worker = costwise.newWorker("books");
      worker.registerWorkflowImplementationTypes(SummarizeImpl.class);
      worker.registerActivitiesImplementations(new LlmImpl());
      costwise.startWorkers();

      Summarize ok =
          costwise
              .client()
              .newWorkflowStub(
                  Summarize.class,
                  CostwiseRun.tags(Map.of("tenant", "acme"))
                      .applyTo(WorkflowOptions.newBuilder().setTaskQueue("books"))
                      .build());
      assertThat(ok.run(2)).isEqualTo("done");
      String runId = WorkflowStub.fromTyped(ok).getExecution().getRunId();
      List<StepRow> steps = costwise.store().steps(runId);
      assertThat(steps)
          .hasSize(2)
          .allSatisfy(s -> assertThat(s.costUsd()).isEqualByComparingTo("0.35"));
      assertThat(costwise.store().execution(runId).orElseThrow().costUsd())
          .isEqualByComparingTo("0.70");

      Summarize capped =
          costwise
              .client()
              .newWorkflowStub(
                  Summarize.class, WorkflowOptions.newBuilder().setTaskQueue("books").build());
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> capped.run(5))
          .isInstanceOf(WorkflowFailedException.class);
      String cappedRun = WorkflowStub.fromTyped(capped).getExecution().getRunId();
      assertThat(costwise.store().steps(cappedRun)).hasSize(3); // $1.05 crosses $1.00 at the third
    }
  }
}
