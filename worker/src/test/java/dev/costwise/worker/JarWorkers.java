package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * For process tests: a Temporal test server in the test JVM, and packaged worker jars ({@code run
 * --serve-demo}) started against it as child processes, with their output in files of {@code dir}.
 * Closing kills every process still running and stops the server.
 */
final class JarWorkers implements AutoCloseable {
  /** Activity types of the demo pipeline that call a (simulated) model. */
  static final Set<String> MODEL_CALLS =
      Set.of("WriteScript", "DrawScene", "AnimateScene", "VoiceOver");

  private static final Path JAR = Path.of("target", "costwise-worker.jar");

  private final Path dir;
  private final EmbeddedTemporal temporal;
  private final WorkflowServiceStubs stubs;
  private final WorkflowClient client;
  private final List<Process> started = new ArrayList<>();

  JarWorkers(Path dir) {
    this.dir = dir;
    temporal = EmbeddedTemporal.start(TestWorkers.freePort(), "default");
    stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.address()).build());
    client =
        WorkflowClient.newInstance(
            stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
  }

  WorkflowClient client() {
    return client;
  }

  WorkflowServiceStubs stubs() {
    return stubs;
  }

  Path out(String name) {
    return dir.resolve(name + "-out.txt");
  }

  Path err(String name) {
    return dir.resolve(name + "-err.txt");
  }

  /**
   * Starts a worker process connected to the test server, with no HTTP, 1 s simulated model calls
   * and {@code env} (data folder, database, task queue); does not wait for it.
   */
  Process start(String name, Map<String, String> env) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toAbsolutePath().toString(),
                "run",
                "--serve-demo")
            .directory(dir.toFile())
            .redirectOutput(out(name).toFile())
            .redirectError(err(name).toFile());
    Map<String, String> e = pb.environment();
    e.keySet()
        .removeIf(
            k ->
                k.startsWith("TEMPORAL_")
                    || k.startsWith("DATABASE_")
                    || k.startsWith("COSTWISE_"));
    e.put("TEMPORAL_ADDRESS", temporal.address());
    e.put("COSTWISE_HTTP_PORT", "-1");
    e.put("COSTWISE_SIMULATED_LATENCY", "1");
    e.putAll(env);
    Process p = pb.start();
    started.add(p);
    return p;
  }

  /** Waits until worker {@code name} says it runs (90 s at most), failing if it died. */
  void awaitRunning(String name, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!Files.exists(out(name))
        || !Files.readString(out(name)).contains("Costwise worker running")) {
      assertThat(p.isAlive())
          .as("%s started; stderr:%n%s", name, Files.readString(err(name)))
          .isTrue();
      assertThat(System.nanoTime()).as("%s started within 90 s", name).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** Per model-call activity id of {@code execution}, the last attempt Temporal ran. */
  Map<String, Integer> attemptsRan(WorkflowExecution execution) {
    Map<Long, String> idByScheduledEvent = new HashMap<>();
    Map<String, Integer> attempts = new TreeMap<>();
    for (HistoryEvent e :
        client.fetchHistory(execution.getWorkflowId(), execution.getRunId()).getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        var a = e.getActivityTaskScheduledEventAttributes();
        if (MODEL_CALLS.contains(a.getActivityType().getName())) {
          idByScheduledEvent.put(e.getEventId(), a.getActivityId());
        }
      } else if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        var a = e.getActivityTaskStartedEventAttributes();
        String id = idByScheduledEvent.get(a.getScheduledEventId());
        if (id != null) {
          attempts.merge(id, a.getAttempt(), Math::max);
        }
      }
    }
    return attempts;
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
    stubs.shutdownNow();
    stubs.awaitTermination(5, TimeUnit.SECONDS);
    temporal.close();
  }
}
