package dev.costwise.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.RunCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.StepRow;
import dev.costwise.testing.StoppableDatabase;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that adopts Costwise through the plugin alone, on the Temporal test server with a real
 * PostgreSQL: the same outcomes as the hand-wired path, with nothing else to register.
 */
class CostwisePluginTest {
  private static final String QUEUE = "plugin";

  @TempDir Path dir;
  private TestWorkflowEnvironment env;
  private CostwisePlugin plugin;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private TrackedPipeline.MediaActivitiesImpl activities;

  private WorkflowClient start(DataSource dataSource, Path priceFile) {
    plugin =
        CostwisePlugin.newBuilder(dataSource)
            .setDataDirectory(dir.resolve("data"))
            .setMeterRegistry(registry)
            .setPriceFile(priceFile)
            .setPriceFileCheckInterval(Duration.ofMillis(100))
            .addExtractor(
                result ->
                    result instanceof TrackedPipeline.Transcript t
                        ? List.of(Usage.of("openai", "whisper-1").audioSeconds(t.seconds()).build())
                        : List.of())
            .build();
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder().setPlugins(plugin).build())
                .build());
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(TrackedPipeline.PipelineWorkflowImpl.class);
    activities = new TrackedPipeline.MediaActivitiesImpl();
    worker.registerActivitiesImplementations(activities);
    env.start();
    return env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
    if (plugin != null) {
      plugin.close();
    }
  }

  private static TrackedPipeline.PipelineWorkflow stub(
      WorkflowClient client, String id, CostwiseRun run) {
    WorkflowOptions.Builder options =
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id);
    return client.newWorkflowStub(
        TrackedPipeline.PipelineWorkflow.class, run.applyTo(options).build());
  }

  private static String runId(Object wf) {
    return WorkflowStub.fromTyped(wf).getExecution().getRunId();
  }

  @Test
  void everyUsageKindIsPricedStoredAndMeteredAndFailedAttemptsAreBilled() {
    WorkflowClient client = start(TestDatabase.fresh(), null);
    var wf = stub(client, "plugin-all-kinds", CostwiseRun.tags(Map.of("tenant", "acme")));
    assertThat(wf.run("otters")).isEqualTo("published");

    CostStore store = plugin.store();
    List<StepRow> steps = store.steps(runId(wf));
    assertThat(store.execution(runId(wf)).orElseThrow().costUsd()).isEqualByComparingTo("3.74143");
    assertThat(steps).allSatisfy(s -> assertThat(s.tags()).contains("\"tenant\": \"acme\""));
    assertThat(steps)
        .filteredOn(s -> s.activityType().equals("Flaky"))
        .extracting(StepRow::outcome)
        .containsExactly("FAILED", "FAILED", "COMPLETED");
    assertThat(registry.find("costwise.cost").counters().stream().mapToDouble(c -> c.count()).sum())
        .isCloseTo(3.74143, org.assertj.core.data.Offset.offset(1e-9));

    // budgets are on with nothing registered by hand: the cost query answers from the checks
    RunCost report = WorkflowStub.fromTyped(wf).query("cost", RunCost.class);
    assertThat(report.spentUsd()).isEqualByComparingTo("3.74143");
    // and the search attributes were registered and upserted
    assertThat(plugin.searchAttributesEnabled()).isTrue();
    Payload cost =
        env.getWorkflowClient()
            .getWorkflowServiceStubs()
            .blockingStub()
            .describeWorkflowExecution(
                DescribeWorkflowExecutionRequest.newBuilder()
                    .setNamespace(env.getNamespace())
                    .setExecution(WorkflowStub.fromTyped(wf).getExecution())
                    .build())
            .getWorkflowExecutionInfo()
            .getSearchAttributes()
            .getIndexedFieldsOrThrow("CostUsd");
    assertThat(DefaultDataConverter.STANDARD_INSTANCE.fromPayload(cost, Double.class, Double.class))
        .isCloseTo(3.74143, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void aRunsHardLimitIsEnforcedWithNoCheckRegisteredByHand() {
    WorkflowClient client = start(TestDatabase.fresh(), null);
    var wf = stub(client, "plugin-capped", CostwiseRun.limits(null, "1.00"));
    Throwable failed = catchThrowable(() -> wf.run("otters"));
    assertThat(failed).isInstanceOf(WorkflowFailedException.class);
    ApplicationFailure f = (ApplicationFailure) failed.getCause();
    assertThat(f.getType()).isEqualTo(CostFailures.BUDGET_EXCEEDED);
    assertThat(f.getDetails().get(BudgetExceeded.Details.class).activityType())
        .isEqualTo("Animate");
    assertThat(plugin.store().steps(runId(wf)))
        .extracting(StepRow::activityType)
        .doesNotContain("Voice");
  }

  @Test
  void badSettingsAreRefusedAtTheClientAndCurrentTagsReachTheRows() {
    WorkflowClient client = start(TestDatabase.fresh(), null);
    var bad =
        client.newWorkflowStub(
            TrackedPipeline.PipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setMemo(Map.of("costwise.budget", Map.of("softUsd", "3", "hardUsd", "1")))
                .build());
    assertThatThrownBy(() -> WorkflowClient.start(bad::run, "x"))
        .rootCause()
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("soft limit 3 is above hard limit 1");
    assertThatThrownBy(() -> CostwiseRun.limits("-1", null))
        .hasMessageContaining("soft limit must be positive");
    assertThatThrownBy(() -> CostwiseRun.tags(Map.of("tenant", "a\u0000")))
        .hasMessageContaining("control character");

    var wf =
        client.newWorkflowStub(
            TrackedPipeline.PipelineWorkflow.class,
            WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("plugin-ctx").build());
    try (var ignored = CostwiseRun.tags(Map.of("tenant", "globex")).makeCurrent()) {
      assertThat(wf.run("otters")).isEqualTo("published");
    }
    assertThat(plugin.store().steps(runId(wf)))
        .isNotEmpty()
        .allSatisfy(s -> assertThat(s.tags()).contains("\"tenant\": \"globex\""));
  }

  @Test
  void theSpoolIsReplayedAfterAnOutageAndThePriceFileIsReloadedWhileRunning() throws Exception {
    Path prices = dir.resolve("prices.json");
    Files.writeString(
        prices,
        "{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\","
            + " \"prices\": {\"inputPerMTok\": \"2.50\", \"outputPerMTok\": \"10\","
            + " \"cacheReadPerMTok\": \"1.25\"}}]}");
    try (StoppableDatabase db = new StoppableDatabase(dir.resolve("pg"))) {
      WorkflowClient client = start(db.dataSource(), prices);
      db.stop();
      var down = stub(client, "plugin-outage", CostwiseRun.tags(Map.of("tenant", "acme")));
      assertThat(down.run("otters")).isEqualTo("published");
      assertThat(plugin.recorder().spooledCount()).isPositive();
      db.start();
      eventually(() -> plugin.recorder().spooledCount() == 0);
      assertThat(plugin.store().execution(runId(down)).orElseThrow().costUsd())
          .isEqualByComparingTo("3.74143");

      // a negotiated price arrives while the worker runs: gpt-4o input at $2.00 per million
      Files.writeString(
          prices,
          "{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\","
              + " \"prices\": {\"inputPerMTok\": \"2.00\", \"outputPerMTok\": \"10\","
              + " \"cacheReadPerMTok\": \"1.25\"}}]}");
      Files.setLastModifiedTime(prices, FileTime.from(Instant.now().plusSeconds(5)));
      eventually(
          () ->
              plugin
                      .catalog()
                      .get()
                      .byId("gpt-4o")
                      .orElseThrow()
                      .rates()
                      .inputPerMTok()
                      .compareTo(new BigDecimal("2.00"))
                  == 0);
      var after = stub(client, "plugin-reloaded", CostwiseRun.tags(Map.of("tenant", "acme")));
      assertThat(after.run("otters")).isEqualTo("published");
      StepRow script =
          plugin.store().steps(runId(after)).stream()
              .filter(s -> s.activityType().equals("WriteScript"))
              .findFirst()
              .orElseThrow();
      assertThat(script.inputCost()).isEqualByComparingTo("0.0024"); // 1200 tokens at $2.00/M
    }
  }

  @Test
  void everythingThePluginStartedStopsWithTheWorkers() throws Exception {
    start(TestDatabase.fresh(), null);
    assertThat(costwiseThreads()).isNotEmpty();
    env.close();
    env = null;
    eventually(() -> costwiseThreads().isEmpty());
  }

  private static List<String> costwiseThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("costwise-"))
        .toList();
  }

  private static void eventually(BooleanSupplier condition) {
    dev.costwise.testing.Eventually.until("the condition holds", Duration.ofSeconds(60), condition);
  }
}
