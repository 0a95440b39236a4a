package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.budget.RunCost;
import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostwiseRun;
import io.temporal.api.sdk.v1.WorkflowMetadata;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that is not Costwise's Java code (Temporal's TypeScript client, {@code
 * src/test/node/metadata-query}, pinned by its lock file) reads a run's {@code
 * __temporal_workflow_metadata} query from the embedded Temporal server and sees the cost summary
 * the run set as its current details. Needs Node.js 20.3+ and npm ({@code .ci/run} installs them);
 * without them the test is skipped, saying so. The packages are installed with {@code npm ci} into
 * {@code target/metadata-query}.
 */
class MetadataQueryFromNodeTest {
  private static final Path SOURCE = Path.of("src/test/node/metadata-query");
  private static final Path INSTALLED = Path.of("target/metadata-query");

  @TempDir Path dir;

  @Test
  void theTypeScriptClientReadsTheRunsCostSummary() throws Exception {
    assumeTrue(
        runs(List.of("node", "--version")) && runs(List.of("npm", "--version")),
        "Node.js and npm are not installed (apt-get install nodejs npm; .ci/run does it):"
            + " metadata query not read from a second client");
    assumeTrue(
        nodeAtLeast(20, 3),
        "Node.js is older than 20.3, which Temporal's TypeScript client needs: metadata query not"
            + " read from a second client");
    install();
    try (CostwiseWorker worker =
        CostwiseWorker.start(TestWorkers.config(dir.resolve("data")).build(), true)) {
      ContentPipelineWorkflow pipeline =
          worker
              .temporal()
              .client()
              .newWorkflowStub(
                  ContentPipelineWorkflow.class,
                  CostwiseRun.limits("0.05", "50")
                      .estimate("est-node-1", new BigDecimal("2.00"))
                      .applyTo(
                          WorkflowOptions.newBuilder()
                              .setTaskQueue("costwise-test")
                              .setWorkflowId("metadata-from-node"))
                      .build());
      pipeline.produce(
          new PipelineRequest("node", 2, 4, "veo-3.0-fast-generate-001", false, false));
      WorkflowStub stub = WorkflowStub.fromTyped(pipeline);
      RunCost cost = stub.query(CostBudget.QUERY, RunCost.class);
      String javaDetails =
          stub.query("__temporal_workflow_metadata", WorkflowMetadata.class).getCurrentDetails();

      JsonNode fromNode =
          new ObjectMapper()
              .readTree(
                  node(
                      worker.temporal().address(),
                      worker.temporal().namespace(),
                      "metadata-from-node",
                      stub.getExecution().getRunId()));

      String details = fromNode.path("currentDetails").asText();
      assertThat(details).isEqualTo(javaDetails);
      assertThat(details)
          .startsWith("**Cost $" + cost.spentUsd().setScale(2, java.math.RoundingMode.HALF_UP))
          .contains("WARNING", "soft $0.0500", "hard $50.00")
          .contains("Estimate est-node-1: $2.00 expected")
          .contains("Models: ", "Activities: ");
      assertThat(fromNode.path("encoding").asText()).startsWith("json/");
    }
  }

  private static void install() throws Exception {
    Files.createDirectories(INSTALLED);
    boolean changed = false;
    for (String f : List.of("package.json", "package-lock.json", "query-metadata.mjs")) {
      Path target = INSTALLED.resolve(f);
      changed |= !Files.exists(target) || Files.mismatch(SOURCE.resolve(f), target) != -1;
      Files.copy(SOURCE.resolve(f), target, StandardCopyOption.REPLACE_EXISTING);
    }
    if (changed || !Files.isDirectory(INSTALLED.resolve("node_modules/@temporalio/client"))) {
      run(List.of("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"), 300);
    }
  }

  private String node(String address, String namespace, String workflowId, String runId)
      throws Exception {
    return run(
        List.of(
            "node",
            INSTALLED.resolve("query-metadata.mjs").toAbsolutePath().toString(),
            address,
            namespace,
            workflowId,
            runId),
        90);
  }

  private static String run(List<String> command, int seconds) throws Exception {
    Path out = Files.createTempFile("node-out", ".txt");
    Path err = Files.createTempFile("node-err", ".txt");
    Process p =
        new ProcessBuilder(new ArrayList<>(command))
            .directory(INSTALLED.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    assertThat(p.waitFor(seconds, TimeUnit.SECONDS)).as(command + " finished").isTrue();
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(command + " exit status; stderr: " + stderr).isZero();
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  /** Whether {@code node --version} is at least {@code major.minor}. */
  private static boolean nodeAtLeast(int major, int minor) {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes()).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || !v.matches("v\\d+\\.\\d+\\..*")) {
        return false;
      }
      String[] parts = v.substring(1).split("\\.");
      int ma = Integer.parseInt(parts[0]);
      int mi = Integer.parseInt(parts[1]);
      return ma > major || (ma == major && mi >= minor);
    } catch (IOException | InterruptedException | NumberFormatException e) {
      return false;
    }
  }

  private static boolean runs(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
