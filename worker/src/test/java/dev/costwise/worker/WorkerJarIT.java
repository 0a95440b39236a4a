package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.budget.RunCost;
import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.demo.PipelineResult;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostSearchAttributes;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, started as a process the way a user starts it, with no configuration but its
 * own free ports and data folder (so a real Temporal on 7233 is never touched).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerJarIT {
  private static final Path JAR = Path.of("target", "costwise-worker.jar");

  @TempDir static Path dataDir;
  private static final int DB_PORT = TestWorkers.freePort();

  /** What a finished process printed. */
  record Result(int exit, String out, String err) {}

  private static ProcessBuilder jar(Map<String, String> env, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dataDir.toFile());
    Map<String, String> e = pb.environment();
    e.keySet()
        .removeIf(
            k ->
                k.startsWith("TEMPORAL_")
                    || k.startsWith("DATABASE_")
                    || k.startsWith("COSTWISE_"));
    e.put("COSTWISE_TEMPORAL_PORT", Integer.toString(TestWorkers.freePort()));
    e.put("COSTWISE_DB_PORT", Integer.toString(DB_PORT));
    e.put("COSTWISE_HTTP_PORT", "0");
    e.putAll(env);
    return pb;
  }

  private static Result run(Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile(dataDir, "out", ".txt");
    Path err = Files.createTempFile(dataDir, "err", ".txt");
    Process p = jar(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(180, TimeUnit.SECONDS))
        .as("costwise " + String.join(" ", args) + " finished")
        .isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  @Order(1)
  void demoRunsEndToEndWithNoConfiguration() throws Exception {
    Result r = run(Map.of(), "demo");
    assertThat(r.exit()).as("exit status; stderr:%n%s", r.err()).isZero();
    assertThat(r.out())
        .contains("0 pipeline runs already recorded")
        .contains("Run 1/3", "Run 2/3", "Run 3/3")
        .contains("from the CostEstimate workflow, saved as", "actual", "variance")
        .contains("WriteScript", "DrawScene", "AnimateScene", "VoiceOver")
        .contains("FAILED")
        .contains("soft limit passed, warning alert stored; run completed")
        .contains("failed with BudgetExceeded (non-retryable)")
        .contains("temporal workflow describe --address 127.0.0.1:");
    assertThat(r.err())
        .contains("embedded PostgreSQL on 127.0.0.1:" + DB_PORT)
        .contains("Temporal: embedded dev server on 127.0.0.1:");
    assertThat(dataDir.resolve("costwise-data/pgdata/PG_VERSION")).exists();
  }

  @Test
  @Order(2)
  void aSecondStartFindsTheFirstRunsCosts() throws Exception {
    Result r = run(Map.of(), "demo");
    assertThat(r.exit()).as("exit status; stderr:%n%s", r.err()).isZero();
    assertThat(r.out())
        .contains("3 pipeline runs already recorded")
        .contains("6 runs recorded in all");
  }

  @Test
  @Order(3)
  void anOutsideClientRunsAWorkflowOnTheRunningWorker() throws Exception {
    int temporalPort = TestWorkers.freePort();
    int httpPort = TestWorkers.freePort();
    Process worker =
        jar(
                Map.of(
                    "COSTWISE_TEMPORAL_PORT",
                    Integer.toString(temporalPort),
                    "COSTWISE_HTTP_PORT",
                    Integer.toString(httpPort)),
                "run",
                "--serve-demo")
            .redirectError(dataDir.resolve("run-err.txt").toFile())
            .start();
    WorkflowServiceStubs stubs = null;
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("Costwise worker running")) {
        // wait for the start line
      }
      assertThat(line)
          .as("start line; stderr:%n%s", Files.readString(dataDir.resolve("run-err.txt")))
          .isNotNull();

      stubs =
          WorkflowServiceStubs.newServiceStubs(
              WorkflowServiceStubsOptions.newBuilder()
                  .setTarget("127.0.0.1:" + temporalPort)
                  .build());
      WorkflowClient client =
          WorkflowClient.newInstance(
              stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
      ContentPipelineWorkflow wf =
          client.newWorkflowStub(
              ContentPipelineWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue("costwise")
                  .setWorkflowId("outside-client")
                  .build());
      PipelineResult result =
          wf.produce(
              new PipelineRequest(
                  "bridges at dawn", 2, 5, "veo-3.0-fast-generate-001", false, false));
      assertThat(result.images()).hasSize(2);

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> cost =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + httpPort + "/api/workflows/outside-client"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(cost.statusCode()).isEqualTo(200);
      assertThat(cost.body())
          .contains("\"workflowType\" : \"ContentPipeline\"")
          .contains("\"totalUsd\" : \"1.2");

      // the cost query and search attributes, answered by the worker process to this outside client
      RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
      String totalUsd =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(cost.body())
              .get("totalUsd")
              .asText();
      assertThat(report.spentUsd()).isEqualByComparingTo(totalUsd);
      assertThat(report.byModel()).containsKeys("dall-e-3", "veo-3.0-fast-generate-001");
      var described = WorkflowStub.fromTyped(wf).describe().getTypedSearchAttributes();
      assertThat(described.get(CostSearchAttributes.COST_USD))
          .isCloseTo(Double.parseDouble(totalUsd), org.assertj.core.data.Offset.offset(1e-9));
      assertThat(described.get(CostSearchAttributes.COST_STATUS)).isEqualTo("OK");
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    } finally {
      if (stubs != null) {
        stubs.shutdownNow();
      }
      worker.destroy();
      assertThat(worker.waitFor(60, TimeUnit.SECONDS)).as("worker stops on SIGTERM").isTrue();
    }
  }

  @Test
  @Order(4)
  void badConfigurationGivesOneClearLineAndANonZeroExit() throws Exception {
    Result badUrl = run(Map.of("DATABASE_URL", "mysql://db/costs"), "run");
    assertThat(badUrl.exit()).isEqualTo(2);
    assertThat(badUrl.err().strip())
        .isEqualTo(
            "costwise run: Database URL 'mysql://db/costs' is not a PostgreSQL URL; use jdbc:postgresql://HOST:PORT/DB or"
                + " postgres://USER:PASSWORD@HOST:PORT/DB (DATABASE_URL or --database-url)");

    int closed = TestWorkers.freePort();
    Result unreachable = run(Map.of("TEMPORAL_ADDRESS", "127.0.0.1:" + closed), "run");
    assertThat(unreachable.exit()).isEqualTo(1);
    assertThat(lastLine(unreachable.err()))
        .startsWith("costwise run: Cannot reach Temporal at 127.0.0.1:" + closed);
    assertThat(unreachable.err()).doesNotContain("\tat ");

    Result refused =
        run(
            Map.of(
                "DATABASE_URL",
                "jdbc:postgresql://127.0.0.1:" + TestWorkers.freePort() + "/costs",
                "DATABASE_USER",
                "costwise",
                "DATABASE_PASSWORD",
                "wrong"),
            "run");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(lastLine(refused.err()))
        .startsWith("costwise run: Cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:");
    assertThat(refused.err()).doesNotContain("\tat ");
  }

  private static String lastLine(String s) throws IOException {
    String[] lines = s.strip().split("\n");
    return lines[lines.length - 1];
  }
}
