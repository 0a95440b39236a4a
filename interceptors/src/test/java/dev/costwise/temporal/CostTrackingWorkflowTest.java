package dev.costwise.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.StepRow;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import dev.costwise.usage.Usage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Drives real workflows on the Temporal test server with Costwise registered, against real
 * PostgreSQL.
 */
class CostTrackingWorkflowTest {
  private static final String QUEUE = "cost-test";
  private static PriceCatalog catalog;
  private static CostStore store;

  private TestWorkflowEnvironment env;
  private SimpleMeterRegistry registry;
  private TrackedPipeline.MediaActivitiesImpl activities;

  @BeforeAll
  static void database() {
    catalog = CatalogSource.bundledCatalog();
    store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
  }

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
  }

  private WorkflowClient start(boolean strict) {
    registry = new SimpleMeterRegistry();
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(new Pricer(() -> catalog, strict))
                .setRecorder(store)
                .setMetrics(CostMetrics.boundTo(registry))
                .addExtractor(
                    result ->
                        result instanceof TrackedPipeline.Transcript t
                            ? List.of(
                                Usage.of("openai", "whisper-1").audioSeconds(t.seconds()).build())
                            : List.of())
                .build());
    env = TrackedTestEnvironment.create(tracking);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(TrackedPipeline.PipelineWorkflowImpl.class);
    activities = new TrackedPipeline.MediaActivitiesImpl();
    worker.registerActivitiesImplementations(activities);
    env.start();
    return env.getWorkflowClient();
  }

  private static TrackedPipeline.PipelineWorkflow stub(WorkflowClient client, String id) {
    return client.newWorkflowStub(
        TrackedPipeline.PipelineWorkflow.class,
        WorkflowOptions.newBuilder()
            .setTaskQueue(QUEUE)
            .setWorkflowId(id)
            .setMemo(Map.of("costwise.tags", Map.of("tenant", "acme", "user", "ana")))
            .build());
  }

  private static String runId(TrackedPipeline.PipelineWorkflow workflow) {
    return WorkflowStub.fromTyped(workflow).getExecution().getRunId();
  }

  @Test
  void everyUsageKindIsPricedExactlyPerStepAndInTotal() {
    WorkflowClient client = start(false);
    TrackedPipeline.PipelineWorkflow wf = stub(client, "pipeline-all-kinds");
    assertThat(wf.run("otters")).isEqualTo("published");
    String runId = runId(wf);

    List<StepRow> steps = store.steps(runId);
    assertThat(cost(steps, "WriteScript"))
        .isEqualByComparingTo("0.00725"); // 1200*2.5/M + 300*10/M + 1000*1.25/M
    assertThat(cost(steps, "Think"))
        .isEqualByComparingTo("0.022"); // 1000*2/M + 500*8/M + 2000*8/M (reasoning at output rate)
    assertThat(cost(steps, "DrawScenes"))
        .isEqualByComparingTo("0.48"); // 4 hd 1024x1792 images at 0.12
    assertThat(cost(steps, "Animate")).isEqualByComparingTo("3.20"); // 8 s with audio at 0.40
    assertThat(cost(steps, "Voice")).isEqualByComparingTo("0.0225"); // 1500 chars at 0.015 per 1K
    assertThat(cost(steps, "Transcribe")).isEqualByComparingTo("0.00905"); // 90.5 s at 0.0001
    assertThat(cost(steps, "Flaky"))
        .isEqualByComparingTo("0.00063"); // 3 attempts of 1000*0.15/M + 100*0.6/M

    StepRow script = step(steps, "WriteScript");
    assertThat(script.inputCost()).isEqualByComparingTo("0.003");
    assertThat(script.outputCost()).isEqualByComparingTo("0.003");
    assertThat(script.cacheReadCost()).isEqualByComparingTo("0.00125");
    assertThat(script.tags())
        .contains("\"tenant\": \"acme\"", "\"user\": \"ana\"", "\"department\": \"content\"");
    assertThat(script.workflowType()).isEqualTo("PipelineWorkflow");
    assertThat(script.taskQueue()).isEqualTo(QUEUE);
    assertThat(script.namespace()).isNotBlank();
    assertThat(script.provider()).isEqualTo("openai");

    ExecutionTotals totals = store.execution(runId).orElseThrow();
    assertThat(totals.costUsd()).isEqualByComparingTo("3.74143");
    assertThat(totals.usageCount()).isEqualTo(9);
    assertThat(totals.unpricedUsageCount()).isZero();
    assertThat(totals.counts().images()).isEqualTo(4);
    assertThat(totals.counts().videoSeconds()).isEqualByComparingTo("8");
    assertThat(totals.counts().characters()).isEqualTo(1500);
    assertThat(totals.counts().audioSeconds()).isEqualByComparingTo("90.5");
    assertThat(totals.counts().reasoningTokens()).isEqualTo(2000);
    assertThat(totals.workflowId()).isEqualTo("pipeline-all-kinds");

    double metered =
        registry.find("costwise.cost").counters().stream().mapToDouble(c -> c.count()).sum();
    assertThat(metered).isCloseTo(3.74143, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(registry.find("costwise.tokens").tag("kind", "reasoning").counter().count())
        .isEqualTo(2000);
  }

  @Test
  void failedAttemptsAreBilled() {
    WorkflowClient client = start(false);
    TrackedPipeline.PipelineWorkflow wf = stub(client, "pipeline-retries");
    wf.run("retries");
    List<StepRow> flaky =
        store.steps(runId(wf)).stream().filter(s -> s.activityType().equals("Flaky")).toList();
    assertThat(flaky).extracting(StepRow::attempt).containsExactly(1, 2, 3);
    assertThat(flaky).extracting(StepRow::outcome).containsExactly("FAILED", "FAILED", "COMPLETED");
    assertThat(flaky).allSatisfy(s -> assertThat(s.costUsd()).isEqualByComparingTo("0.00021"));
  }

  @Test
  void unknownModelIsStoredUnpricedAndCountedNotPricedAtZero() {
    WorkflowClient client = start(false);
    TrackedPipeline.PipelineWorkflow wf = stub(client, "pipeline-unknown");
    wf.run("unknown model");
    String runId = runId(wf);
    StepRow row = step(store.steps(runId), "UnknownModel");
    assertThat(row.priced()).isFalse();
    assertThat(row.costUsd()).isNull();
    assertThat(row.unpricedReason()).contains("Unknown model 'acme/gpt-5o-turbo-ultra'");
    assertThat(row.counts().inputTokens()).isEqualTo(100);
    ExecutionTotals totals = store.execution(runId).orElseThrow();
    assertThat(totals.unpricedUsageCount()).isEqualTo(1);
    assertThat(totals.costUsd()).isEqualByComparingTo("3.74143");
    assertThat(registry.find("costwise.usage.unpriced").counter().count()).isEqualTo(1.0);
  }

  @Test
  void strictModeFailsTheStepButKeepsTheUsage() {
    WorkflowClient client = start(true);
    TrackedPipeline.PipelineWorkflow wf = stub(client, "pipeline-strict");
    assertThatThrownBy(() -> wf.run("unknown model strict"))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("UnknownModel");
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).contains("gpt-5o-turbo-ultra");
            });
    List<StepRow> unknown =
        store.steps(runId(wf)).stream()
            .filter(s -> s.activityType().equals("UnknownModel"))
            .toList();
    assertThat(unknown)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.priced()).isFalse();
              assertThat(s.outcome()).isEqualTo("FAILED");
            });
  }

  private static StepRow step(List<StepRow> steps, String activityType) {
    return steps.stream()
        .filter(s -> s.activityType().equals(activityType))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no step for " + activityType + " in " + steps));
  }

  private static BigDecimal cost(List<StepRow> steps, String activityType) {
    return steps.stream()
        .filter(s -> s.activityType().equals(activityType))
        .map(StepRow::costUsd)
        .reduce(BigDecimal.ZERO, BigDecimal::add);
  }
}
