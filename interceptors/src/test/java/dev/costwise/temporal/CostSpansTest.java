package dev.costwise.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.store.CostStore;
import dev.costwise.store.StepRow;
import dev.costwise.testing.TestDatabase;
import io.opentracing.mock.MockSpan;
import io.opentracing.mock.MockTracer;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.opentracing.OpenTracingClientInterceptor;
import io.temporal.opentracing.OpenTracingOptions;
import io.temporal.opentracing.OpenTracingWorkerInterceptor;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the SDK's OpenTracing interceptors (an in-memory {@link MockTracer}) and Costwise adopted
 * through its plugin, every activity attempt's span carries the usage and cost stored for that
 * attempt, failed attempts included; on the Temporal test server with a real PostgreSQL.
 */
class CostSpansTest {
  private static final String QUEUE = "spans";

  @TempDir Path dir;
  private TestWorkflowEnvironment env;
  private CostwisePlugin plugin;

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
    if (plugin != null) {
      plugin.close();
    }
  }

  @Test
  void everyAttemptSpanCarriesTheUsageAndCostStoredForIt() {
    MockTracer tracer = new MockTracer();
    OpenTracingOptions tracing = OpenTracingOptions.newBuilder().setTracer(tracer).build();
    plugin =
        CostwisePlugin.newBuilder(TestDatabase.fresh())
            .setDataDirectory(dir.resolve("data"))
            .addAttemptObserver(CostSpans.openTracing(tracer))
            .build();
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setInterceptors(new OpenTracingClientInterceptor(tracing))
                        .setPlugins(plugin)
                        .build())
                .setWorkerFactoryOptions(
                    WorkerFactoryOptions.newBuilder()
                        .setWorkerInterceptors(new OpenTracingWorkerInterceptor(tracing))
                        .build())
                .build());
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(TrackedPipeline.PipelineWorkflowImpl.class);
    worker.registerActivitiesImplementations(new TrackedPipeline.MediaActivitiesImpl());
    env.start();
    WorkflowClient client = env.getWorkflowClient();
    var wf =
        client.newWorkflowStub(
            TrackedPipeline.PipelineWorkflow.class,
            WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("traced").build());
    assertThat(wf.run("otters")).isEqualTo("published");
    String runId = WorkflowStub.fromTyped(wf).getExecution().getRunId();

    CostStore store = plugin.store();
    List<StepRow> steps = store.steps(runId);
    Map<String, List<StepRow>> byAttempt =
        steps.stream()
            .collect(
                Collectors.groupingBy(
                    s -> s.activityId() + "#" + s.attempt(), TreeMap::new, Collectors.toList()));
    Map<String, MockSpan> spans =
        tracer.finishedSpans().stream()
            .filter(s -> s.operationName().startsWith("RunActivity:"))
            .filter(s -> runId.equals(s.tags().get("runId")))
            .filter(s -> s.tags().containsKey(CostSpans.COST_USD))
            .collect(
                Collectors.toMap(
                    s -> s.tags().get("activityId") + "#" + s.tags().get("costwise.attempt"),
                    s -> s,
                    (a, b) -> a,
                    TreeMap::new));

    assertThat(spans.keySet()).isEqualTo(byAttempt.keySet());
    assertThat(steps).extracting(StepRow::outcome).contains("FAILED");
    byAttempt.forEach(
        (key, rows) -> {
          Map<String, Object> tags = spans.get(key).tags();
          BigDecimal cost =
              rows.stream()
                  .filter(StepRow::priced)
                  .map(StepRow::costUsd)
                  .reduce(BigDecimal.ZERO, BigDecimal::add);
          assertThat(new BigDecimal((String) tags.get(CostSpans.COST_USD)))
              .as(key)
              .isEqualByComparingTo(cost);
          assertThat(tags.get(CostSpans.INPUT_TOKENS))
              .isEqualTo(rows.stream().mapToLong(r -> r.counts().inputTokens()).sum());
          assertThat(tags.get(CostSpans.OUTPUT_TOKENS))
              .isEqualTo(rows.stream().mapToLong(r -> r.counts().outputTokens()).sum());
          assertThat(tags.get(CostSpans.CACHE_READ_TOKENS))
              .isEqualTo(rows.stream().mapToLong(r -> r.counts().cacheReadTokens()).sum());
          assertThat(tags.get(CostSpans.REQUEST_MODEL)).isEqualTo(rows.get(0).model());
          assertThat(tags.get("costwise.outcome")).isEqualTo(rows.get(0).outcome());
          assertThat(tags.get(CostSpans.UNPRICED))
              .isEqualTo((int) rows.stream().filter(r -> !r.priced()).count());
        });
  }
}
