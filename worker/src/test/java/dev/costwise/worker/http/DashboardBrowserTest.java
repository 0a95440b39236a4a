package dev.costwise.worker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.costwise.budget.BudgetPeriod;
import dev.costwise.budget.BudgetScope;
import dev.costwise.budget.PeriodBudget;
import dev.costwise.budget.Threshold;
import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.worker.CostwiseWorker;
import dev.costwise.worker.TestWorkers;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Loads the dashboard in Debian's headless Chromium against a worker with recorded runs, and checks
 * what the browser rendered: the charts' SVG elements and the text, and a screenshot that is not
 * blank. CI installs Chromium ({@code .ci/run}); without it the test is skipped, saying so.
 */
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir static Path dir;
  private static CostwiseWorker worker;

  @BeforeAll
  static void workerWithRuns() {
    worker =
        CostwiseWorker.start(
            TestWorkers.config(dir.resolve("data")).apiToken("dash-token").build(), true);
    worker
        .budgets()
        .create(
            new PeriodBudget(
                "pipeline-daily",
                BudgetPeriod.DAILY,
                BudgetScope.workflowType(ContentPipelineWorkflow.TYPE),
                new BigDecimal("50"),
                List.of(Threshold.parse("80:notify"), Threshold.parse("100:block"))));
    for (String topic : List.of("otters", "lighthouses")) {
      worker
          .temporal()
          .client()
          .newWorkflowStub(
              ContentPipelineWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue("costwise-test")
                  .setWorkflowId("dashboard-" + topic)
                  .build())
          .produce(new PipelineRequest(topic, 3, 5, "veo-3.0-fast-generate-001", false, false));
    }
    ContentPipelineWorkflow capped =
        worker
            .temporal()
            .client()
            .newWorkflowStub(
                ContentPipelineWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue("costwise-test")
                    .setWorkflowId("dashboard-capped")
                    // below what the script costs: the script (reserved at $0, it has too little
                    // history) crosses the limit, which the over-budget table lists
                    .setMemo(Map.of("costwise.budget", Map.of("hardUsd", "0.001")))
                    .build());
    assertThatThrownBy(
            () ->
                capped.produce(
                    new PipelineRequest("capped", 2, 5, "veo-3.0-fast-generate-001", false, false)))
        .isInstanceOf(WorkflowFailedException.class);
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void chartsRenderInARealBrowser() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM),
        "Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does it): dashboard not checked in a browser");
    String url = worker.http().baseUrl() + "/#token=dash-token";

    String dom =
        chromium(
            List.of("--dump-dom", "--virtual-time-budget=10000", url), dir.resolve("dom.html"));
    assertThat(dom).contains("data-loaded=\"true\"");
    assertThat(dom).contains("Spend per day, stacked by model");
    assertThat(dom).contains("<svg").contains("aria-label=\"spend per day by model\"");
    assertThat(dom)
        .contains("data-model=\"dall-e-3\"")
        .contains("data-model=\"veo-3.0-fast-generate-001\"");
    assertThat(dom).contains("dashboard-otters").contains("dashboard-lighthouses");
    assertThat(dom).contains("pipeline-daily").containsPattern("\\d+% of \\$50\\.00");
    assertThat(dom)
        .contains("dashboard-capped")
        .contains("run's hard limit: failed with BudgetExceeded");
    assertThat(dom).as("no load error shown").contains("<div id=\"error\"></div>");

    Path png = dir.resolve("dashboard.png");
    chromium(
        List.of(
            "--screenshot=" + png, "--window-size=1280,900", "--virtual-time-budget=10000", url),
        dir.resolve("shot.log"));
    assertThat(png).exists();
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1280);
    assertThat(distinctColours(image))
        .as("colours in the screenshot (a blank page has one or two)")
        .isGreaterThan(20);
    Files.copy(
        png, Path.of("target", "dashboard.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static String chromium(List<String> args, Path output) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium")));
    cmd.addAll(args);
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(false)
            .redirectOutput(output.toFile())
            .redirectError(dir.resolve("chromium-stderr.log").toFile())
            .start();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    return Files.readString(output, StandardCharsets.UTF_8);
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
