package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.budget.BudgetStatus;
import dev.costwise.budget.RunCost;
import dev.costwise.demo.ContentPipelinePlan;
import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.demo.PipelineResult;
import dev.costwise.estimate.CostEstimateWorkflow;
import dev.costwise.estimate.Estimate;
import dev.costwise.estimate.EstimateRequest;
import dev.costwise.temporal.CostBudget;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole worker in-process (embedded Temporal on a free loopback port, real PostgreSQL), driven
 * from outside: a separate gRPC client starts workflows, an HTTP client reads the API.
 */
class CostwiseWorkerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dataDir;
  private static CostwiseWorker worker;
  private static WorkflowServiceStubs outsideStubs;
  private static WorkflowClient outside;
  private static String runId;
  private static final String WORKFLOW_ID = "worker-test-otters";

  @BeforeAll
  static void start() {
    worker = CostwiseWorker.start(TestWorkers.config(dataDir).apiToken("s3cret").build(), true);
    outsideStubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget(worker.temporal().address())
                .build());
    outside =
        WorkflowClient.newInstance(
            outsideStubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
    ContentPipelineWorkflow wf =
        outside.newWorkflowStub(
            ContentPipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue("costwise-test")
                .setWorkflowId(WORKFLOW_ID)
                .build());
    PipelineResult result =
        wf.produce(new PipelineRequest("otters", 2, 4, "veo-3.0-fast-generate-001", false, true));
    assertThat(result.clips()).hasSize(2);
    runId = WorkflowStub.fromTyped(wf).getExecution().getRunId();
  }

  @AfterAll
  static void stop() {
    if (outsideStubs != null) {
      outsideStubs.shutdownNow();
      outsideStubs.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void aWorkflowStartedByAnotherClientIsPricedPerStep() {
    var totals = worker.store().execution(runId).orElseThrow();
    // script (claude-sonnet-4-5) + 2 hd images at 0.12 + 3 video attempts of 4 s at 0.10 + voice
    assertThat(totals.counts().images()).isEqualTo(2);
    assertThat(totals.counts().videoSeconds()).isEqualByComparingTo("12");
    assertThat(worker.store().steps(runId))
        .filteredOn(s -> s.activityType().equals("AnimateScene"))
        .extracting(s -> s.outcome())
        .containsExactlyInAnyOrder("FAILED", "COMPLETED", "COMPLETED");
    assertThat(totals.costUsd()).isGreaterThan(new BigDecimal("1.44"));
  }

  @Test
  void theCallsBehindTheDemosTemporalCliHintsWorkAgainstTheEmbeddedServer() {
    var execution =
        io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(WORKFLOW_ID).build();
    var described =
        outsideStubs
            .blockingStub()
            .describeWorkflowExecution(
                io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder()
                    .setNamespace("default")
                    .setExecution(execution)
                    .build());
    assertThat(described.getWorkflowExecutionInfo().getType().getName())
        .isEqualTo("ContentPipeline");
    var history =
        outsideStubs
            .blockingStub()
            .getWorkflowExecutionHistory(
                io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest.newBuilder()
                    .setNamespace("default")
                    .setExecution(execution)
                    .build());
    assertThat(history.getHistory().getEventsList())
        .filteredOn(e -> e.hasActivityTaskScheduledEventAttributes())
        .hasSize(1 + 2 + 2 + 1);
  }

  @Test
  void anOutsideClientReadsTheCostQuery() {
    RunCost report =
        outside.newUntypedWorkflowStub(WORKFLOW_ID).query(CostBudget.QUERY, RunCost.class);
    assertThat(report.runId()).isEqualTo(runId);
    assertThat(report.spentUsd())
        .isEqualByComparingTo(worker.store().execution(runId).orElseThrow().costUsd());
    assertThat(report.byModel()).containsKeys("dall-e-3", "veo-3.0-fast-generate-001");
    assertThat(report.status()).isEqualTo(BudgetStatus.OK);
  }

  @Test
  void healthChecksTemporalAndPostgres() throws Exception {
    HttpResponse<String> r = get("/health", null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode health = JSON.readTree(r.body());
    assertThat(health.path("status").asText()).isEqualTo("UP");
    assertThat(health.path("temporal").path("status").asText()).isEqualTo("UP");
    assertThat(health.path("database").path("status").asText()).isEqualTo("UP");
  }

  @Test
  void metricsCarryCostAndTemporalSdkMeters() throws Exception {
    HttpResponse<String> r = get("/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body())
        .contains("costwise_cost_usd_total{")
        .contains("model=\"dall-e-3\"")
        .contains("workflow_type=\"ContentPipeline\"")
        .contains("costwise_images_total")
        .contains("temporal_");
  }

  @Test
  void apiRequiresTheBearerTokenWhenOneIsSet() throws Exception {
    assertThat(get("/api/totals", null).statusCode()).isEqualTo(401);
    assertThat(get("/api/totals", "wrong").statusCode()).isEqualTo(401);
    assertThat(get("/api/totals", "s3cret").statusCode()).isEqualTo(200);
  }

  @Test
  void executionCostWithStepsAsJson() throws Exception {
    JsonNode byRun = JSON.readTree(get("/api/executions/" + runId, "s3cret").body());
    assertThat(byRun.path("workflowId").asText()).isEqualTo(WORKFLOW_ID);
    assertThat(new BigDecimal(byRun.path("totalUsd").asText()))
        .isEqualByComparingTo(worker.store().execution(runId).orElseThrow().costUsd());
    assertThat(byRun.path("steps")).hasSize(worker.store().steps(runId).size());
    JsonNode byWorkflow = JSON.readTree(get("/api/workflows/" + WORKFLOW_ID, "s3cret").body());
    assertThat(byWorkflow.path("runId").asText()).isEqualTo(runId);
    assertThat(get("/api/executions/no-such-run", "s3cret").statusCode()).isEqualTo(404);
  }

  @Test
  void dailyAndMonthlyTotalsGroupedByModelOrTag() throws Exception {
    JsonNode daily = JSON.readTree(get("/api/totals?period=day&groupBy=model", "s3cret").body());
    assertThat(daily.path("totals").findValuesAsText("group"))
        .contains("dall-e-3", "veo-3.0-fast-generate-001", "claude-sonnet-4-5");
    JsonNode images = null;
    for (JsonNode n : daily.path("totals")) {
      if (n.path("group").asText().equals("dall-e-3")) {
        images = n;
      }
    }
    assertThat(new BigDecimal(images.path("costUsd").asText())).isEqualByComparingTo("0.24");
    JsonNode monthly =
        JSON.readTree(get("/api/totals?period=month&groupBy=workflow_type", "s3cret").body());
    assertThat(monthly.path("totals").get(0).path("group").asText()).isEqualTo("ContentPipeline");
    assertThat(monthly.path("totals").get(0).path("period").asText()).hasSize(7);
    JsonNode byTag = JSON.readTree(get("/api/totals?groupBy=tag:step", "s3cret").body());
    // images are tagged step=image; the script step, written through the SDK, carries no tag
    assertThat(byTag.path("totals").findValuesAsText("group")).contains("image", "(none)");
    HttpResponse<String> bad = get("/api/totals?groupBy=password", "s3cret");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("Unknown grouping 'password'; use one of");
  }

  @Test
  void estimateLinkedToItsRunReportsExactVarianceOverHttp() throws Exception {
    String workflowId = "worker-test-estimated";
    PipelineRequest request =
        new PipelineRequest("bridges", 2, 5, "veo-3.0-fast-generate-001", false, false);
    Estimate estimate =
        outside
            .newWorkflowStub(
                CostEstimateWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue("costwise-test")
                    .setWorkflowId("estimate-" + workflowId)
                    .build())
            .estimate(
                EstimateRequest.of(
                        ContentPipelineWorkflow.TYPE, ContentPipelinePlan.plannedCalls(request))
                    .forWorkflowId(workflowId));
    ContentPipelineWorkflow wf =
        outside.newWorkflowStub(
            ContentPipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue("costwise-test")
                .setWorkflowId(workflowId)
                .build());
    wf.produce(request);
    String estimatedRun = WorkflowStub.fromTyped(wf).getExecution().getRunId();
    BigDecimal actual = worker.store().execution(estimatedRun).orElseThrow().costUsd();

    JsonNode report =
        JSON.readTree(get("/api/executions/" + estimatedRun + "/report", "s3cret").body());
    assertThat(report.path("estimateId").asText()).isEqualTo(estimate.estimateId());
    assertThat(new BigDecimal(report.path("estimatedUsd").asText()))
        .isEqualByComparingTo(estimate.expectedUsd());
    assertThat(new BigDecimal(report.path("actualUsd").asText())).isEqualByComparingTo(actual);
    assertThat(new BigDecimal(report.path("varianceUsd").asText()))
        .isEqualByComparingTo(actual.subtract(estimate.expectedUsd()));
    assertThat(report.path("steps").size()).isPositive();
  }

  @Test
  void wholeDayTotalsFromTheRollupMatchASumOverTheSteps() throws Exception {
    JsonNode rolled = JSON.readTree(get("/api/totals?period=day&groupBy=model", "s3cret").body());
    String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
    // a range that does not start at midnight cannot use the daily rollup: it sums the steps
    JsonNode scanned =
        JSON.readTree(
            get("/api/totals?period=day&groupBy=model&from=" + today + "T00:00:00.001Z", "s3cret")
                .body());
    java.util.Map<String, BigDecimal> a = new java.util.TreeMap<>();
    java.util.Map<String, BigDecimal> b = new java.util.TreeMap<>();
    rolled
        .path("totals")
        .forEach(
            n ->
                a.merge(
                    n.path("group").asText(),
                    new BigDecimal(n.path("costUsd").asText()),
                    BigDecimal::add));
    scanned
        .path("totals")
        .forEach(
            n ->
                b.merge(
                    n.path("group").asText(),
                    new BigDecimal(n.path("costUsd").asText()),
                    BigDecimal::add));
    assertThat(a).isNotEmpty();
    assertThat(a.keySet()).isEqualTo(b.keySet());
    a.forEach((model, cost) -> assertThat(cost).as(model).isEqualByComparingTo(b.get(model)));
  }

  @Test
  void stepsExportAsCsv() throws Exception {
    HttpResponse<String> r = get("/api/steps.csv", "s3cret");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/csv"));
    String[] lines = r.body().split("\r\n");
    assertThat(lines[0])
        .startsWith("recorded_at,run_id,workflow_id")
        .isEqualTo(String.join(",", dev.costwise.report.CostReports.STEP_CSV_COLUMNS));
    assertThat(lines).hasSize(1 + worker.store().steps(runId).size());
    assertThat(r.body()).contains(runId).contains(",dall-e-3,").contains(",0.12,");
  }

  @Test
  void dashboardPageAndItsData() throws Exception {
    HttpResponse<String> page = get("/", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("Spend per day, stacked by model");
    JsonNode d = JSON.readTree(get("/api/dashboard", "s3cret").body());
    assertThat(d.path("spendByDay")).hasSize(30);
    assertThat(d.path("topWorkflows").get(0).path("workflowId").asText()).isEqualTo(WORKFLOW_ID);
    assertThat(d.path("models").findValuesAsText("")).isEmpty();
    assertThat(d.path("models").toString()).contains("dall-e-3");
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(worker.http().baseUrl() + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
