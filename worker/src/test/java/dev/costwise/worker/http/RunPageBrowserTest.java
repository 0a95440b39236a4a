package dev.costwise.worker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.demo.ContentPipelinePlan;
import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.estimate.CostEstimateWorkflow;
import dev.costwise.estimate.Estimate;
import dev.costwise.estimate.EstimateRequest;
import dev.costwise.pricing.Cost;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.Outcome;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostwiseRun;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.worker.CostwiseWorker;
import dev.costwise.worker.TestWorkers;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run page and the overview's new panels, in Debian's headless Chromium against a worker with
 * recorded runs: a parent run with an estimate, a crossed soft limit and a failed but billed
 * attempt, two child runs and a grandchild (their tree links set in SQL, as the store will write
 * them), and a model without a price. Checks the rendered text against figures recomputed from the
 * database, and writes screenshots to {@code target/}. Without Chromium the browser checks are
 * skipped, saying so; the API checks still run.
 */
class RunPageBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final String TOKEN = "page-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static CostwiseWorker worker;
  private static String parent;
  private static String childA;
  private static String childB;
  private static String grandchild;
  private static Estimate estimate;
  private static String cappedRun;
  private static String refusedRun;

  @BeforeAll
  static void runs() {
    worker =
        CostwiseWorker.start(
            TestWorkers.config(dir.resolve("data"))
                .apiToken(TOKEN)
                .simulatedLatency("0.15")
                .build(),
            true);
    WorkflowClient client = worker.temporal().client();
    PipelineRequest request =
        new PipelineRequest("harbours", 2, 4, "veo-3.0-fast-generate-001", false, true);
    estimate =
        client
            .newWorkflowStub(
                CostEstimateWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue("costwise-test")
                    .setWorkflowId("estimate-page-parent")
                    .build())
            .estimate(
                EstimateRequest.of(
                        ContentPipelineWorkflow.TYPE, ContentPipelinePlan.plannedCalls(request))
                    .forWorkflowId("page-parent"));
    parent =
        run(
            client,
            "page-parent",
            CostwiseRun.limits("0.05", null).tag("tenant", "harbour-co").estimate(estimate),
            request);
    childA = run(client, "page-child-a", CostwiseRun.tags(Map.of("tenant", "harbour-co")), small());
    childB = run(client, "page-child-b", CostwiseRun.tags(Map.of("tenant", "harbour-co")), small());
    grandchild =
        run(client, "page-grandchild", CostwiseRun.tags(Map.of("tenant", "harbour-co")), small());
    ContentPipelineWorkflow refused =
        client.newWorkflowStub(
            ContentPipelineWorkflow.class,
            // the script fits under $0.10; the drawing, reserved at $0.12, is refused before it
            // runs: no limit is crossed, the run fails all the same
            CostwiseRun.limits("0.08", "0.10")
                .tag("tenant", "harbour-co")
                .applyTo(
                    WorkflowOptions.newBuilder()
                        .setTaskQueue("costwise-test")
                        .setWorkflowId("page-refused"))
                .build());
    try {
      refused.produce(small());
      throw new AssertionError("the refused run should have failed");
    } catch (io.temporal.client.WorkflowFailedException expected) {
      refusedRun = WorkflowStub.fromTyped(refused).getExecution().getRunId();
    }
    ContentPipelineWorkflow capped =
        client.newWorkflowStub(
            ContentPipelineWorkflow.class,
            // below what the script costs (about $0.009 for this request): the script (too little
            // history to be reserved) crosses the limit, and the run fails on it. (At $0.01 the
            // script fits and the drawings are refused: nothing crosses.)
            CostwiseRun.limits(null, "0.005")
                .tag("tenant", "harbour-co")
                .applyTo(
                    WorkflowOptions.newBuilder()
                        .setTaskQueue("costwise-test")
                        .setWorkflowId("page-capped"))
                .build());
    try {
      capped.produce(small());
      throw new AssertionError("the capped run should have failed on its hard limit");
    } catch (io.temporal.client.WorkflowFailedException expected) {
      cappedRun = WorkflowStub.fromTyped(capped).getExecution().getRunId();
    }
    worker
        .store()
        .jdbi()
        .useHandle(
            h -> {
              link(h, childA, parent, parent);
              link(h, childB, parent, parent);
              link(h, grandchild, childA, parent);
            });
    // a model nobody priced, recorded through the store's write path
    Instant now = Instant.now();
    worker
        .store()
        .record(
            new AttemptCost(
                new AttemptContext(
                    "default",
                    "page-child-b",
                    ContentPipelineWorkflow.TYPE,
                    childB,
                    "mystery-1",
                    "Embed",
                    1,
                    "costwise-test",
                    now),
                Outcome.COMPLETED,
                List.of(
                    new PricedUsage(
                        Usage.of("acme-ai", "mystery-embedder-2").inputTokens(1200).build(),
                        Cost.unpriced(null, "unknown model acme-ai/mystery-embedder-2"))),
                Map.of("tenant", "harbour-co"),
                now));
  }

  private static PipelineRequest small() {
    return new PipelineRequest("tides", 1, 4, "veo-3.0-fast-generate-001", false, false);
  }

  private static String run(
      WorkflowClient client, String id, CostwiseRun settings, PipelineRequest request) {
    ContentPipelineWorkflow wf =
        client.newWorkflowStub(
            ContentPipelineWorkflow.class,
            settings
                .applyTo(
                    WorkflowOptions.newBuilder().setTaskQueue("costwise-test").setWorkflowId(id))
                .build());
    wf.produce(request);
    return WorkflowStub.fromTyped(wf).getExecution().getRunId();
  }

  private static void link(org.jdbi.v3.core.Handle h, String run, String parentRun, String root) {
    h.createUpdate(
            "UPDATE cost_execution SET parent_run_id = :p, root_run_id = :r WHERE run_id = :id")
        .bind("p", parentRun)
        .bind("r", root)
        .bind("id", run)
        .execute();
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  private static BigDecimal cost(String runId) {
    return worker.store().execution(runId).orElseThrow().costUsd();
  }

  @Test
  void runDetailJsonAddsUpTheTreeTheAttemptsAndTheEstimate() throws Exception {
    JsonNode d = JSON.readTree(get("/api/executions/" + parent + "/detail"));
    BigDecimal subtree = cost(parent).add(cost(childA)).add(cost(childB)).add(cost(grandchild));
    assertThat(new BigDecimal(d.path("run").path("subtreeUsd").asText()))
        .isEqualByComparingTo(subtree);
    assertThat(d.path("run").path("rootRunId").asText()).isEqualTo(parent);
    JsonNode children = d.path("children");
    assertThat(children).hasSize(2);
    JsonNode a =
        children.get(0).path("runId").asText().equals(childA) ? children.get(0) : children.get(1);
    assertThat(a.path("children").get(0).path("runId").asText()).isEqualTo(grandchild);
    assertThat(new BigDecimal(a.path("subtreeUsd").asText()))
        .isEqualByComparingTo(cost(childA).add(cost(grandchild)));

    List<StepRow> lines = worker.store().steps(parent);
    long attempts = lines.stream().map(s -> s.activityId() + "#" + s.attempt()).distinct().count();
    assertThat(d.path("attempts")).hasSize((int) attempts);
    BigDecimal attemptSum = BigDecimal.ZERO;
    for (JsonNode n : d.path("attempts")) {
      attemptSum = attemptSum.add(new BigDecimal(n.path("costUsd").asText()));
    }
    assertThat(attemptSum).isEqualByComparingTo(cost(parent));
    assertThat(d.path("attempts").findValues("failedButBilled"))
        .as("the flaky scene's first video attempt failed after billing")
        .anyMatch(JsonNode::asBoolean);
    assertThat(d.path("estimate").path("estimateId").asText()).isEqualTo(estimate.estimateId());
    assertThat(new BigDecimal(d.path("estimate").path("varianceUsd").asText()))
        .isEqualByComparingTo(cost(parent).subtract(estimate.expectedUsd()));
    assertThat(d.path("budgetOutcome").asText()).isEqualTo("WARNING");
    assertThat(d.path("budget").get(0).path("threshold").asText()).isEqualTo("soft");

    String csv = get("/api/executions/" + parent + "/steps.csv");
    assertThat(csv.lines().count()).isEqualTo(lines.size() + 1L);
    assertThat(JSON.readTree(get("/api/find?id=page-child-b")).path("runId").asText())
        .isEqualTo(childB);
  }

  @Test
  void aRunRefusedBeforeRunningShowsTheRefusalAndItsUncrossedLimits() throws Exception {
    JsonNode d = JSON.readTree(get("/api/executions/" + refusedRun + "/detail"));
    assertThat(d.path("budgetOutcome").asText()).isEqualTo("REFUSED");
    JsonNode refusal = d.path("budget").get(0);
    assertThat(d.path("budget")).hasSize(1);
    assertThat(refusal.path("refused").asBoolean()).isTrue();
    assertThat(refusal.path("refusedLimit").asText()).isEqualTo("hard");
    assertThat(refusal.path("refusedActivityType").asText()).isEqualTo("DrawScene");
    assertThat(new BigDecimal(refusal.path("expectedUsd").asText()))
        .isEqualByComparingTo(dev.costwise.demo.SimulatedProviders.DRAW_SCENE_EXPECTED_USD);
    assertThat(new BigDecimal(refusal.path("limitUsd").asText())).isEqualByComparingTo("0.10");
    BigDecimal script =
        worker.store().steps(refusedRun).stream()
            .filter(l -> l.activityType().equals("WriteScript"))
            .map(StepRow::costUsd)
            .reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(new BigDecimal(refusal.path("spentAtCrossingUsd").asText()))
        .as("what the run had spent when the drawing was refused: its script")
        .isEqualByComparingTo(script)
        .isPositive();
    JsonNode limits = d.path("limits");
    assertThat(limits.path("recorded").asBoolean()).isTrue();
    assertThat(new BigDecimal(limits.path("softUsd").asText())).isEqualByComparingTo("0.08");
    assertThat(new BigDecimal(limits.path("hardUsd").asText())).isEqualByComparingTo("0.10");
    assertThat(limits.path("tree")).isEmpty();
    assertThat(cost(refusedRun)).as("neither limit was crossed").isLessThan(new BigDecimal("0.08"));

    JsonNode p = JSON.readTree(get("/api/executions/" + parent + "/detail")).path("limits");
    assertThat(new BigDecimal(p.path("softUsd").asText())).isEqualByComparingTo("0.05");
    assertThat(p.path("hardUsd").isNull()).isTrue();

    JsonNode listed = null;
    for (JsonNode n : JSON.readTree(get("/api/dashboard?tenant=harbour-co")).path("overBudget")) {
      if (n.path("runId").asText().equals(refusedRun)) {
        listed = n;
      }
    }
    assertThat(listed).as("the refused run is listed with the over-budget runs").isNotNull();
    assertThat(listed.path("refused").asBoolean()).isTrue();
    assertThat(listed.path("refusedActivityType").asText()).isEqualTo("DrawScene");
    assertThat(listed.path("reason").asText())
        .isEqualTo(
            "refused before running: DrawScene (expected $0.12) would cross the run's hard limit");
    assertThat(new BigDecimal(listed.path("finalUsd").asText()))
        .isEqualByComparingTo(cost(refusedRun));
  }

  @Test
  void overviewFiltersNarrowTheRunsAndListUnpricedModels() throws Exception {
    JsonNode all = JSON.readTree(get("/api/dashboard?tenant=harbour-co"));
    assertThat(all.path("topWorkflows").findValuesAsText("runId")).contains(parent, childA);
    assertThat(all.path("filterValues").path("tenant").toString()).contains("harbour-co");
    JsonNode unpriced = all.path("unpriced").get(0);
    assertThat(unpriced.path("model").asText()).isEqualTo("mystery-embedder-2");
    assertThat(unpriced.path("calls").asLong()).isEqualTo(1);
    assertThat(unpriced.path("since").asText()).isNotBlank();
    JsonNode none = JSON.readTree(get("/api/dashboard?tenant=nobody-at-all"));
    assertThat(none.path("topWorkflows")).isEmpty();
    assertThat(none.path("overBudget")).as("the filter applies to over-budget runs too").isEmpty();
    JsonNode failure = all.path("overBudget").get(0);
    assertThat(failure.path("runId").asText()).isEqualTo(cappedRun);
    assertThat(new BigDecimal(failure.path("finalUsd").asText()))
        .isEqualByComparingTo(cost(cappedRun));
    assertThat(new BigDecimal(failure.path("spentAtCrossingUsd").asText()))
        .isGreaterThan(new BigDecimal("0.005"));
    assertThat(none.path("unpriced")).isEmpty();
    assertThat(new BigDecimal(none.path("totalUsd").asText())).isZero();
  }

  @Test
  void runPageAndOverviewRenderInARealBrowser() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM),
        "Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does it):"
            + " run page not checked in a browser");
    String base = worker.http().baseUrl();
    String runUrl = base + "/run?id=" + parent + "#token=" + TOKEN;
    String dom = chromium(List.of("--dump-dom", "--virtual-time-budget=10000", runUrl), "run-dom");
    assertThat(dom).contains("data-loaded=\"true\"").contains("data-timeline=\"drawn\"");
    assertThat(dom).contains("page-parent").contains("ContentPipeline");
    assertThat(dom).contains("page-child-a").contains("page-child-b").contains("page-grandchild");
    assertThat(dom)
        .contains(
            "Subtree total "
                + usd(cost(parent).add(cost(childA)).add(cost(childB)).add(cost(grandchild))));
    assertThat(dom).contains("failed, billed");
    assertThat(dom)
        .contains(
            "Estimate " + estimate.estimateId() + ": expected " + usd(estimate.expectedUsd()));
    assertThat(dom).contains("run's soft").contains("Spent at crossing");
    assertThat(dom).contains("steps CSV").contains("veo-3.0-fast-generate-001");
    assertThat(dom).as("no load error shown").contains("<div id=\"error\"></div>");
    screenshot(runUrl, "run-page.png", 1400);

    String overview = base + "/#token=" + TOKEN;
    String odom =
        chromium(List.of("--dump-dom", "--virtual-time-budget=10000", overview), "overview-dom");
    assertThat(odom).contains("data-loaded=\"true\"");
    assertThat(odom).contains("/run?id=" + parent);
    assertThat(odom).contains("mystery-embedder-2").contains("Unpriced usage");
    assertThat(odom).contains("<option value=\"harbour-co\">harbour-co</option>");
    assertThat(odom)
        .as("the capped run's final spend is shown beside its spend at the crossing")
        .contains("page-capped")
        .contains("Spent at crossing")
        .contains("Final spend")
        .contains(usd(cost(cappedRun)));
    assertThat(odom)
        .as("the refused run is listed, saying what was refused")
        .contains("/run?id=" + refusedRun)
        .contains("page-refused")
        .contains("refused before running: DrawScene (expected $0.12)");
    assertThat(odom).as("no load error shown").contains("<div id=\"error\"></div>");
    screenshot(overview, "overview.png", 1400);

    String refusedUrl = base + "/run?id=" + refusedRun + "#token=" + TOKEN;
    String rdom =
        chromium(List.of("--dump-dom", "--virtual-time-budget=10000", refusedUrl), "refused-dom");
    assertThat(rdom).contains("data-loaded=\"true\"").contains("page-refused");
    assertThat(rdom).contains("<b id=\"outcome\" class=\"over\">refused</b>");
    assertThat(rdom)
        .contains("refused DrawScene (expected $0.1200) against the run's hard limit")
        .contains(">REFUSED<");
    assertThat(rdom)
        .as("the limits, never crossed, with what the run spent against them")
        .contains(
            "run's soft limit</td><td class=\"num\">$0.0800</td><td class=\"num\">"
                + usd(cost(refusedRun)))
        .contains("run's hard limit</td><td class=\"num\">$0.1000</td>");
    assertThat(rdom).as("no load error shown").contains("<div id=\"error\"></div>");
    screenshot(refusedUrl, "run-page-refused.png", 1100);
  }

  /** As the pages write an amount: cents from a dollar up, else four decimals. */
  private static String usd(BigDecimal v) {
    return "$"
        + v.setScale(
            v.abs().compareTo(BigDecimal.ONE) >= 0 ? 2 : 4, java.math.RoundingMode.HALF_EVEN);
  }

  private static void screenshot(String url, String name, int height) throws Exception {
    Path png = dir.resolve(name);
    chromium(
        List.of(
            "--screenshot=" + png,
            "--window-size=1280," + height,
            "--virtual-time-budget=10000",
            url),
        name + ".log");
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1280);
    assertThat(distinctColours(image)).as("colours in " + name).isGreaterThan(20);
    Files.copy(png, Path.of("target", name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static String get(String path) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(worker.http().baseUrl() + path))
                    .header("Authorization", "Bearer " + TOKEN)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return r.body();
  }

  private static String chromium(List<String> args, String output) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium")));
    cmd.addAll(args);
    Path out = dir.resolve(output);
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(dir.resolve(output + ".stderr").toFile())
            .start();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static int distinctColours(BufferedImage image) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }
}
