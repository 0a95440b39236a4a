package dev.costwise.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import dev.costwise.usage.Usage;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo pipeline on the Temporal test server with Costwise registered, against real PostgreSQL.
 */
class ContentPipelineWorkflowTest {
  private static final String QUEUE = "content";
  private static CostStore store;
  private static Pricer pricer;
  private TestWorkflowEnvironment env;
  private ContentActivitiesImpl activities;

  @BeforeAll
  static void database() {
    store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    pricer = new Pricer(CatalogSource.bundled(null), true);
  }

  @BeforeEach
  void start() {
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder().setPricer(pricer).setRecorder(store).build());
    env = TrackedTestEnvironment.create(tracking);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(ContentPipelineWorkflowImpl.class);
    activities = new ContentActivitiesImpl();
    worker.registerActivitiesImplementations(activities);
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
    activities.close();
  }

  private String run(String id, PipelineRequest request) {
    ContentPipelineWorkflow wf =
        env.getWorkflowClient()
            .newWorkflowStub(
                ContentPipelineWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).build());
    PipelineResult result = wf.produce(request);
    assertThat(result.images()).hasSize(request.scenes());
    assertThat(result.clips()).hasSize(request.scenes());
    return WorkflowStub.fromTyped(wf).getExecution().getRunId();
  }

  @Test
  void everyModelCallIsPricedAtCatalogRates() {
    String runId =
        run(
            "pipeline-priced",
            new PipelineRequest("otters", 4, 6, "veo-3.0-fast-generate-001", false, false));
    List<StepRow> steps = store.steps(runId);
    assertThat(steps)
        .extracting(StepRow::activityType)
        .containsOnly("WriteScript", "DrawScene", "AnimateScene", "VoiceOver")
        .hasSize(1 + 4 + 4 + 1);
    assertThat(steps).allSatisfy(s -> assertThat(s.priced()).isTrue());
    assertThat(sum(steps, "DrawScene")).isEqualByComparingTo("0.48"); // 4 hd 1792x1024 at 0.12
    assertThat(sum(steps, "AnimateScene")).isEqualByComparingTo("2.40"); // 24 s at 0.10
    StepRow script =
        steps.stream()
            .filter(s -> s.activityType().equals("WriteScript"))
            .findFirst()
            .orElseThrow();
    SimulatedProviders.ScriptCall call =
        SimulatedProviders.writeScript(
            new PipelineRequest("otters", 4, 6, "veo-3.0-fast-generate-001", false, false));
    // claude-sonnet-4-5: 3 per M input, 0.30 per M cache read, 15 per M output
    BigDecimal expected =
        new BigDecimal(call.inputTokens())
            .multiply(new BigDecimal("3"))
            .add(new BigDecimal(call.cacheReadTokens()).multiply(new BigDecimal("0.30")))
            .add(new BigDecimal(call.outputTokens()).multiply(new BigDecimal("15")))
            .movePointLeft(6);
    // recorded by the anthropic-java integration, with no cost code in the activity
    assertThat(script.provider()).isEqualTo("anthropic");
    assertThat(script.model()).isEqualTo(SimulatedProviders.LLM_MODEL);
    assertThat(script.counts().inputTokens()).isEqualTo(call.inputTokens());
    assertThat(script.counts().cacheReadTokens()).isEqualTo(call.cacheReadTokens());
    assertThat(script.counts().outputTokens()).isEqualTo(call.outputTokens());
    assertThat(script.costUsd()).isEqualByComparingTo(expected);
    assertThat(store.execution(runId).orElseThrow().costUsd())
        .isEqualByComparingTo(
            steps.stream().map(StepRow::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add));
  }

  @Test
  void aSimulatedOutageIsBilledAndRetried() {
    String runId =
        run(
            "pipeline-outage",
            new PipelineRequest("lighthouse", 2, 8, "veo-3.0-fast-generate-001", false, true));
    List<StepRow> video =
        store.steps(runId).stream().filter(s -> s.activityType().equals("AnimateScene")).toList();
    assertThat(video)
        .extracting(StepRow::outcome)
        .containsExactlyInAnyOrder("FAILED", "COMPLETED", "COMPLETED");
    assertThat(sum(video, "AnimateScene")).isEqualByComparingTo("2.40"); // 3 attempts x 8 s x 0.10
  }

  @Test
  void thePlanPricesCloseToWhatARunCosts() {
    PipelineRequest request =
        new PipelineRequest("spice trade", 3, 8, "veo-3.0-generate-001", true, false);
    String runId = run("pipeline-plan", request);
    BigDecimal estimate = BigDecimal.ZERO;
    for (Usage u : ContentPipelinePlan.expectedUsage(request)) {
      estimate = estimate.add(pricer.price(u).total());
    }
    BigDecimal actual = store.execution(runId).orElseThrow().costUsd();
    assertThat(actual.subtract(estimate).abs()).isLessThan(actual.movePointLeft(2)); // within 1 %
  }

  private static BigDecimal sum(List<StepRow> steps, String activityType) {
    return steps.stream()
        .filter(s -> s.activityType().equals(activityType))
        .map(StepRow::costUsd)
        .reduce(BigDecimal.ZERO, BigDecimal::add);
  }
}
