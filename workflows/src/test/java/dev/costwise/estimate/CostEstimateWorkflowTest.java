package dev.costwise.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.report.CostReports;
import dev.costwise.report.ExecutionReport;
import dev.costwise.report.StepComparison;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CostEstimate workflow on the Temporal test server against real PostgreSQL, with a tracked
 * workflow whose real cost is compared with its estimate. Prices from the bundled catalog: gpt-4o
 * 2.50/10.00 per M tokens in/out, gpt-4o-mini 0.15/0.60.
 */
class CostEstimateWorkflowTest {
  private static final String QUEUE = "costwise";
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());

  private static Jdbi jdbi;
  private static CostStore store;
  private static TestWorkflowEnvironment env;
  private static WorkflowClient client;

  /**
   * A tracked workflow: one script (gpt-4o 1200 in + 300 out = 0.006) and three summaries (3 x
   * 0.00021).
   */
  @WorkflowInterface
  public interface Article {
    @WorkflowMethod(name = "Article")
    String write(String topic);
  }

  /** Its activities. */
  @ActivityInterface
  public interface ArticleActivities {
    String writeScript(String topic);

    String summarize(String text);
  }

  /** The workflow. */
  public static final class ArticleImpl implements Article {
    private final ArticleActivities acts =
        Workflow.newActivityStub(
            ArticleActivities.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(10)).build());

    @Override
    public String write(String topic) {
      String script = acts.writeScript(topic);
      for (int i = 0; i < 3; i++) {
        acts.summarize(script);
      }
      return "done";
    }
  }

  /** The activities, reporting usage as a model client wrapper would. */
  public static final class ArticleActivitiesImpl implements ArticleActivities {
    @Override
    public String writeScript(String topic) {
      CostUsage.record(Usage.of("openai", "gpt-4o").inputTokens(1200).outputTokens(300).build());
      return "script about " + topic;
    }

    @Override
    public String summarize(String text) {
      CostUsage.record(
          Usage.of("openai", "gpt-4o-mini").inputTokens(1000).outputTokens(100).build());
      return "summary";
    }
  }

  @BeforeAll
  static void start() {
    jdbi = CostStore.jdbi(TestDatabase.fresh());
    store = new CostStore(jdbi);
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(PRICER)
                .setRecorder(store)
                .setMetrics(CostMetrics.boundTo(new SimpleMeterRegistry()))
                .build());
    env = TrackedTestEnvironment.create(tracking);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(ArticleImpl.class);
    worker.registerActivitiesImplementations(new ArticleActivitiesImpl());
    CostEstimator estimator =
        new CostEstimator(
            jdbi,
            PRICER,
            EstimateOptions.DEFAULTS,
            Map.of(
                "Registered",
                request ->
                    List.of(
                        PlannedCall.of(
                            "Draft", Usage.of("openai", "gpt-4o").outputTokens(1000).build(), 2))),
            java.time.Clock.systemUTC());
    CostEstimates.register(worker, estimator, BudgetFit.NONE, new EstimateStore(jdbi));
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  /** Starts CostEstimate with JSON input exactly as the Temporal CLI would send it. */
  private static Estimate estimateFromJson(String json) throws Exception {
    Object input = new ObjectMapper().readValue(json, Map.class);
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            "CostEstimate",
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowId("estimate-" + System.nanoTime())
                .build());
    stub.start(input);
    return stub.getResult(Estimate.class);
  }

  @Test
  void aPlanIsPricedExactlyFromTheCatalogAndSaved() throws Exception {
    Estimate e =
        estimateFromJson(
            """
            {"workflowType": "Publish",
             "plan": [
               {"activityType": "WriteScript", "provider": "openai", "model": "gpt-4o",
                "inputTokens": 1200, "outputTokens": 300},
               {"activityType": "Summarize", "model": "gpt-4o-mini", "inputTokens": 1000, "outputTokens": 100,
                "repeat": 3, "repeatLow": 2, "repeatHigh": 5},
               {"activityType": "Mystery", "model": "gpt-5o-turbo-ultra", "inputTokens": 10}
             ]}
            """);
    assertThat(e.estimateId()).isNotBlank();
    assertThat(e.createdAt()).isNotNull();
    assertThat(e.planSource()).isEqualTo("request");
    StepEstimate script = e.steps().get(0);
    assertThat(script.source()).isEqualTo(EstimateSource.PLAN);
    assertThat(script.expectedUsd()).isEqualByComparingTo("0.006"); // 1200 x 2.5/M + 300 x 10/M
    assertThat(script.lowUsd()).isEqualByComparingTo("0.0045"); // -25%
    assertThat(script.highUsd()).isEqualByComparingTo("0.0075"); // +25%
    StepEstimate summaries = e.steps().get(1);
    assertThat(summaries.model()).isEqualTo("gpt-4o-mini");
    assertThat(summaries.provider()).isEqualTo("openai");
    assertThat(summaries.perCallExpectedUsd()).isEqualByComparingTo("0.00021");
    assertThat(summaries.lowUsd()).isEqualByComparingTo("0.00042"); // 2 calls
    assertThat(summaries.expectedUsd()).isEqualByComparingTo("0.00063"); // 3 calls
    assertThat(summaries.highUsd()).isEqualByComparingTo("0.00105"); // 5 calls
    assertThat(e.steps().get(2).source()).isEqualTo(EstimateSource.UNPRICED);
    assertThat(e.unpricedSteps()).isEqualTo(1);
    assertThat(e.lowUsd()).isEqualByComparingTo("0.00492");
    assertThat(e.expectedUsd()).isEqualByComparingTo("0.00663");
    assertThat(e.highUsd()).isEqualByComparingTo("0.00855");
    assertThat(e.byModel())
        .extracting(ModelEstimate::model)
        .containsExactly("gpt-4o", "gpt-4o-mini");
    assertThat(e.notes())
        .anySatisfy(n -> assertThat(n).contains("gpt-5o-turbo-ultra", "not priced"));

    Estimate saved = new EstimateStore(jdbi).find(e.estimateId()).orElseThrow();
    assertThat(saved.expectedUsd()).isEqualByComparingTo("0.00663");
    assertThat(saved.steps()).hasSize(3);
    java.math.BigDecimal stored =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT expected_usd FROM cost_estimate_step WHERE estimate_id = :id AND step_no = 1")
                    .bind("id", e.estimateId())
                    .mapTo(java.math.BigDecimal.class)
                    .one());
    assertThat(stored).isEqualByComparingTo("0.00063");
  }

  @Test
  void aTypeAloneIsEstimatedFromRecordedPercentiles() throws Exception {
    // Five runs of Digest/Summarize costing 0.00015 x i (i = 1..5, 1000 x i input tokens of
    // gpt-4o-mini)
    for (int i = 1; i <= 5; i++) {
      recordAttempt(
          "digest-" + i,
          "Digest",
          "Summarize",
          Usage.of("openai", "gpt-4o-mini").inputTokens(1000L * i).build());
    }
    recordAttempt(
        "digest-1", "Digest", "Rare", Usage.of("openai", "gpt-4o").inputTokens(1000).build());
    recordAttempt(
        "digest-2", "Digest", "Rare", Usage.of("openai", "gpt-4o").inputTokens(1000).build());

    Estimate e = estimateFromJson("{\"workflowType\": \"Digest\"}");
    assertThat(e.planSource()).isEqualTo("none");
    assertThat(e.steps())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.source()).isEqualTo(EstimateSource.HISTORY);
              assertThat(s.samples()).isEqualTo(5);
              assertThat(s.calls()).isEqualByComparingTo("1");
              assertThat(s.lowUsd())
                  .isEqualByComparingTo("0.00021"); // position 1.4: 0.00015 + 0.4 x 0.00015
              assertThat(s.expectedUsd()).isEqualByComparingTo("0.00045"); // position 3
              assertThat(s.highUsd())
                  .isEqualByComparingTo("0.00069"); // position 4.6: 0.0006 + 0.6 x 0.00015
            });
    assertThat(e.notes()).singleElement().satisfies(n -> assertThat(n).contains("Rare", "only 2"));

    // A plan step with enough history takes the history figures times the planned calls
    Estimate planned =
        estimateFromJson(
            """
            {"workflowType": "Digest", "plan": [
               {"activityType": "Summarize", "model": "gpt-4o-mini", "inputTokens": 1, "repeat": 2}]}
            """);
    assertThat(planned.steps().get(0).source()).isEqualTo(EstimateSource.HISTORY);
    assertThat(planned.expectedUsd()).isEqualByComparingTo("0.0009");

    // Asking for more samples than recorded leaves nothing to estimate from: a clear, unretried
    // failure
    assertThatThrownBy(() -> estimateFromJson("{\"workflowType\": \"Digest\", \"minSamples\": 6}"))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("Cannot estimate Digest")
        .hasMessageContaining("pass a plan");
  }

  @Test
  void mediaPlansArePricedPerImageAndVideoSecond() {
    CostEstimator estimator = new CostEstimator(jdbi, PRICER);
    Estimate e =
        estimator.estimate(
            EstimateRequest.of(
                "Media",
                List.of(
                    PlannedCall.of(
                            "DrawScenes",
                            Usage.of("openai", "dall-e-3").images(1, "1024x1792", "hd").build(),
                            4)
                        .withRange(3, 6),
                    PlannedCall.of(
                        "Animate",
                        Usage.of("vertex_ai", "veo-3.0-generate-001").videoSeconds(8, true).build(),
                        1))));
    StepEstimate scenes = e.steps().get(0);
    assertThat(scenes.perCallExpectedUsd()).isEqualByComparingTo("0.12");
    assertThat(scenes.lowUsd()).isEqualByComparingTo("0.36");
    assertThat(scenes.expectedUsd()).isEqualByComparingTo("0.48");
    assertThat(scenes.highUsd()).isEqualByComparingTo("0.72");
    assertThat(e.steps().get(1).expectedUsd())
        .isEqualByComparingTo("3.20"); // 8 s with audio at 0.40
    assertThat(e.expectedUsd()).isEqualByComparingTo("3.68");
    assertThat(e.lowUsd()).isEqualByComparingTo("2.76"); // 0.36 + 3.20 x 0.75
    assertThat(e.highUsd()).isEqualByComparingTo("4.72"); // 0.72 + 3.20 x 1.25
  }

  @Test
  void historyReadsOnlyTheLatestSamplesOfEachActivityType() {
    Instant start = Instant.now().minus(Duration.ofHours(6));
    for (int i = 1; i <= 5; i++) {
      recordAttempt(
          "capped-" + i,
          "Capped",
          "Summarize",
          Usage.of("openai", "gpt-4o-mini").inputTokens(1000L * i).build(),
          start.plus(Duration.ofHours(i)));
    }
    CostEstimator estimator =
        new CostEstimator(
            jdbi,
            PRICER,
            new EstimateOptions(3, 90, new java.math.BigDecimal("0.25"), 3),
            Map.of(),
            java.time.Clock.systemUTC());
    StepEstimate s = estimator.estimate(EstimateRequest.of("Capped")).steps().get(0);
    assertThat(s.samples()).isEqualTo(3); // runs 3, 4, 5: 0.00045, 0.0006, 0.00075
    assertThat(s.lowUsd()).isEqualByComparingTo("0.00048"); // position 1.2
    assertThat(s.expectedUsd()).isEqualByComparingTo("0.0006");
    assertThat(s.highUsd()).isEqualByComparingTo("0.00072"); // position 2.8
  }

  @Test
  void aRegisteredEstimatorStandsInForAMissingPlan() throws Exception {
    Estimate e = estimateFromJson("{\"workflowType\": \"Registered\"}");
    assertThat(e.planSource()).isEqualTo("registered");
    assertThat(e.expectedUsd()).isEqualByComparingTo("0.02"); // 2 x 1000 output tokens x 10/M
  }

  @Test
  void theNextRunOfTheWorkflowIdShowsEstimatedActualAndVarianceExactly() throws Exception {
    Estimate e =
        estimateFromJson(
            """
            {"workflowType": "Article", "workflowId": "article-42",
             "plan": [
               {"activityType": "WriteScript", "model": "gpt-4o", "inputTokens": 1200, "outputTokens": 300},
               {"activityType": "Summarize", "model": "gpt-4o-mini", "inputTokens": 1000, "outputTokens": 100,
                "repeat": 2}
             ]}
            """);
    assertThat(e.expectedUsd()).isEqualByComparingTo("0.00642");

    Article article =
        client.newWorkflowStub(
            Article.class,
            WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("article-42").build());
    article.write("otters");
    String runId = WorkflowStub.fromTyped(article).getExecution().getRunId();

    ExecutionReport report = new CostReports(jdbi).execution(runId).orElseThrow();
    assertThat(report.estimateId()).isEqualTo(e.estimateId());
    assertThat(report.actualUsd()).isEqualByComparingTo("0.00663"); // 0.006 + 3 x 0.00021
    assertThat(report.estimatedUsd()).isEqualByComparingTo("0.00642");
    assertThat(report.varianceUsd()).isEqualByComparingTo("0.00021");
    assertThat(report.variancePercent()).isEqualByComparingTo("3.27"); // 0.00021 / 0.00642
    assertThat(report.steps())
        .extracting(StepComparison::activityType)
        .containsExactly("WriteScript", "Summarize");
    StepComparison script = report.steps().get(0);
    assertThat(script.actualUsd()).isEqualByComparingTo("0.006");
    assertThat(script.varianceUsd()).isEqualByComparingTo("0");
    StepComparison summaries = report.steps().get(1);
    assertThat(summaries.attempts()).isEqualTo(3);
    assertThat(summaries.estimatedUsd()).isEqualByComparingTo("0.00042");
    assertThat(summaries.actualUsd()).isEqualByComparingTo("0.00063");
    assertThat(summaries.varianceUsd()).isEqualByComparingTo("0.00021");

    // A second run of the same id was not estimated: the estimate belongs to the first only
    article =
        client.newWorkflowStub(
            Article.class,
            WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("article-42").build());
    article.write("otters again");
    String second = WorkflowStub.fromTyped(article).getExecution().getRunId();
    assertThat(new CostReports(jdbi).execution(second).orElseThrow().estimateId()).isNull();
  }

  @Test
  void anEstimateForARunIdIsLinkedToThatRun() throws Exception {
    recordAttempt(
        "run-explicit",
        "Explicit",
        "WriteScript",
        Usage.of("openai", "gpt-4o").inputTokens(2000).build());
    Estimate e =
        estimateFromJson(
            """
            {"workflowType": "Explicit", "runId": "run-explicit",
             "plan": [{"activityType": "WriteScript", "model": "gpt-4o", "inputTokens": 1000}]}
            """);
    ExecutionReport report = new CostReports(jdbi).execution("run-explicit").orElseThrow();
    assertThat(report.estimateId()).isEqualTo(e.estimateId());
    assertThat(report.varianceUsd()).isEqualByComparingTo("0.0025"); // 0.005 - 0.0025
    assertThat(report.variancePercent()).isEqualByComparingTo("100");
  }

  private static void recordAttempt(
      String runId, String workflowType, String activityType, Usage usage) {
    recordAttempt(runId, workflowType, activityType, usage, Instant.now());
  }

  private static void recordAttempt(
      String runId, String workflowType, String activityType, Usage usage, Instant now) {
    AttemptContext ctx =
        new AttemptContext(
            "default",
            "wf-" + runId,
            workflowType,
            runId,
            activityType + "-1",
            activityType,
            1,
            QUEUE,
            now);
    store.record(
        new AttemptCost(
            ctx,
            Outcome.COMPLETED,
            List.of(new PricedUsage(usage, PRICER.priceLenient(usage))),
            Map.of(),
            now));
  }
}
