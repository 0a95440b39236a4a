package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.budget.RunCost;
import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.demo.PipelineResult;
import dev.costwise.temporal.CostBudget;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged worker as a process stopped with SIGTERM and killed with {@code kill -9} while runs
 * are in flight, against a Temporal server in this JVM (the embedded dev server, as another {@code
 * costwise run} serves it): a stop is orderly and quick and loses no cost, and the runs continue on
 * the next worker.
 */
class WorkerLifecycleIT {
  @TempDir Path dir;
  private JarWorkers workers;
  private WorkflowServiceStubs stubs;
  private WorkflowClient client;

  @BeforeEach
  void startTemporal() {
    workers = new JarWorkers(dir);
    stubs = workers.stubs();
    client = workers.client();
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    workers.close();
  }

  /** A worker process; its output goes to files in the test folder. */
  private final class WorkerProcess {
    final Process process;
    final Path out;
    final Path err;

    WorkerProcess(String name, Map<String, String> env) throws Exception {
      out = workers.out(name);
      err = workers.err(name);
      Map<String, String> all = new HashMap<>(env);
      all.putIfAbsent("COSTWISE_DATA_DIR", dir.resolve("data").toString());
      all.putIfAbsent("COSTWISE_TASK_QUEUE", "lifecycle");
      process = workers.start(name, all);
      workers.awaitRunning(name, process);
    }

    /** Sends SIGTERM and returns how long the process took to exit, asserting it exited with 0. */
    Duration stop() throws Exception {
      long t0 = System.nanoTime();
      process.destroy();
      assertThat(process.waitFor(30, TimeUnit.SECONDS))
          .as("stopped within 30 s of SIGTERM; stderr:%n%s", Files.readString(err))
          .isTrue();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(process.exitValue())
          .as("exit status after SIGTERM; stderr:%n%s", Files.readString(err))
          .isZero();
      String log = Files.readString(err);
      // a write slower than its deadline on a loaded machine is spooled, which loses nothing (the
      // callers assert one row per attempt and no spool left); a record neither written nor spooled
      // would be a loss
      assertThat(log).doesNotContain("could not be written nor spooled");
      System.out.printf("worker stopped by SIGTERM in %d ms%n", took.toMillis());
      System.out.println(log);
      return took;
    }
  }

  private List<WorkflowStub> startRuns(String prefix, int n) {
    List<WorkflowStub> runs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ContentPipelineWorkflow wf =
          client.newWorkflowStub(
              ContentPipelineWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue("lifecycle")
                  .setWorkflowId(prefix + "-" + i)
                  .build());
      WorkflowClient.start(
          wf::produce,
          new PipelineRequest("run " + i, 2, 4, "veo-3.0-fast-generate-001", false, i == 0));
      runs.add(WorkflowStub.fromTyped(wf));
    }
    return runs;
  }

  /** Waits until some run has an activity attempt running on a worker. */
  private void awaitAttemptRunning(List<WorkflowStub> runs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (WorkflowStub run : runs) {
        var described =
            stubs
                .blockingStub()
                .describeWorkflowExecution(
                    DescribeWorkflowExecutionRequest.newBuilder()
                        .setNamespace("default")
                        .setExecution(run.getExecution())
                        .build());
        if (described.getPendingActivitiesList().stream()
            .anyMatch(a -> a.getState() == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)) {
          return;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no activity attempt started within 30 s");
  }

  /** Every run completes, and its cost query answers. */
  private void assertAllComplete(List<WorkflowStub> runs) throws Exception {
    for (WorkflowStub run : runs) {
      PipelineResult result = run.getResult(90, TimeUnit.SECONDS, PipelineResult.class);
      assertThat(result.clips()).hasSize(2);
      RunCost report =
          CompletableFuture.supplyAsync(() -> run.query(CostBudget.QUERY, RunCost.class))
              .get(30, TimeUnit.SECONDS);
      assertThat(report.spentUsd()).as("cost of %s", run.getExecution()).isPositive();
    }
  }

  /** Per model-call activity id, the attempts Temporal ran, from the run's history. */
  private Map<String, Integer> attemptsRan(WorkflowExecution execution) {
    return workers.attemptsRan(execution);
  }

  @Test
  void sigtermLetsRunningAttemptsFinishAndRecordsEveryAttemptOnce() throws Exception {
    int dbPort = TestWorkers.freePort();
    Map<String, String> env = Map.of("COSTWISE_DB_PORT", Integer.toString(dbPort));
    WorkerProcess first = new WorkerProcess("first", env);
    List<WorkflowStub> runs = startRuns("stop", 4);
    awaitAttemptRunning(runs);
    Duration firstStop = first.stop();
    assertThat(Files.readString(first.err)).contains("Polling stopped and running attempts");

    WorkerProcess second = new WorkerProcess("second", env);
    assertAllComplete(runs);
    Duration secondStop = second.stop();
    assertThat(firstStop).isLessThan(Duration.ofSeconds(30));
    assertThat(secondStop).isLessThan(Duration.ofSeconds(30));

    assertThat(dir.resolve("data").resolve("cost-spool.jsonl")).doesNotExist();
    EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("data").resolve("pgdata"), dbPort);
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "")) {
      for (WorkflowStub run : runs) {
        String runId = run.getExecution().getRunId();
        Map<String, Integer> ran = attemptsRan(run.getExecution());
        assertThat(ran).as("model calls of %s", runId).hasSize(6); // script, 2 x 2 scenes, voice
        Map<String, Integer> expectedRows = new TreeMap<>();
        ran.forEach(
            (id, last) -> {
              for (int a = 1; a <= last; a++) {
                expectedRows.put(id + "#" + a, 1);
              }
            });
        Map<String, Integer> rows = new TreeMap<>();
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT activity_id, attempt, count(*) FROM cost_step WHERE run_id = ?"
                    + " GROUP BY activity_id, attempt")) {
          s.setString(1, runId);
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              rows.put(r.getString(1) + "#" + r.getInt(2), r.getInt(3));
            }
          }
        }
        assertThat(rows)
            .as("one cost row per attempt Temporal ran, run %s", runId)
            .isEqualTo(expectedRows);
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT e.cost_usd, (SELECT sum(cost_usd) FROM cost_step WHERE run_id = e.run_id)"
                    + " FROM cost_execution e WHERE e.run_id = ?")) {
          s.setString(1, runId);
          try (ResultSet r = s.executeQuery()) {
            assertThat(r.next()).isTrue();
            BigDecimal total = r.getBigDecimal(1);
            assertThat(total).isPositive().isEqualByComparingTo(r.getBigDecimal(2));
          }
        }
      }
    } finally {
      db.close();
    }
  }

  @Test
  void runsContinueOnTheNextWorkerAfterSigtermAndAfterKill9() throws Exception {
    Map<String, String> env = Map.of("DATABASE_URL", TestWorkers.config(dir).build().databaseUrl());
    WorkerProcess first = new WorkerProcess("first", env);
    List<WorkflowStub> runs = startRuns("restart", 6);
    awaitAttemptRunning(runs);
    first.stop();

    WorkerProcess second = new WorkerProcess("second", env);
    awaitAttemptRunning(runs);
    second.process.destroyForcibly();
    assertThat(second.process.waitFor(10, TimeUnit.SECONDS)).isTrue();

    WorkerProcess third = new WorkerProcess("third", env);
    assertAllComplete(runs);
    third.stop();
  }

  /**
   * Waits until the worker's journal holds usage of an attempt that has not ended (a model call
   * answered and billed, the attempt still running) and returns its key: run, activity, attempt.
   */
  private String[] awaitOpenAttemptInJournal(Path journal) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Map<String, String[]> open = notEnded(journal, "observed");
      if (!open.isEmpty()) {
        return open.values().iterator().next();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no attempt with billed usage was running within 60 s");
  }

  @Test
  void aWorkerKilledAfterAModelCallWasBilledRecordsThatAttemptAsInterruptedAtItsNextStart()
      throws Exception {
    String url = TestWorkers.config(dir).build().databaseUrl();
    Map<String, String> env = Map.of("DATABASE_URL", url);
    WorkerProcess first = new WorkerProcess("first", env);
    List<WorkflowStub> runs = startRuns("kill", 3);
    String[] killed =
        awaitOpenAttemptInJournal(dir.resolve("data").resolve("cost-spool.jsonl.journal"));
    first.process.destroyForcibly(); // kill -9: no hook, no flush
    assertThat(first.process.waitFor(10, TimeUnit.SECONDS)).isTrue();

    WorkerProcess second = new WorkerProcess("second", env);
    assertThat(Files.readString(second.err)).contains("recorded as INTERRUPTED");
    assertAllComplete(runs);
    second.stop();

    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT outcome, count(*) FROM cost_step WHERE run_id = ? AND activity_id = ?"
                  + " AND attempt = ? GROUP BY outcome")) {
        s.setString(1, killed[0]);
        s.setString(2, killed[1]);
        s.setInt(3, Integer.parseInt(killed[2]));
        try (ResultSet r = s.executeQuery()) {
          assertThat(r.next()).as("the killed attempt's billed usage is recorded").isTrue();
          assertThat(r.getString(1)).isEqualTo("INTERRUPTED");
          assertThat(r.next()).isFalse();
        }
      }
      for (WorkflowStub run : runs) {
        String runId = run.getExecution().getRunId();
        Map<String, Integer> ran = attemptsRan(run.getExecution());
        Map<String, String> outcomes = new TreeMap<>();
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT activity_id, attempt, string_agg(DISTINCT outcome, ',')"
                    + " FROM cost_step WHERE run_id = ? GROUP BY activity_id, attempt")) {
          s.setString(1, runId);
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              outcomes.put(r.getString(1) + "#" + r.getInt(2), r.getString(3));
            }
          }
        }
        ran.forEach(
            (id, last) -> {
              assertThat(outcomes.get(id + "#" + last))
                  .as("the attempt that completed %s of %s", id, runId)
                  .isEqualTo("COMPLETED");
              for (int a = 1; a < last; a++) {
                // an earlier attempt was billed and failed, or was cut by the kill after billing
                // (INTERRUPTED), or before its provider answered (nothing billed, nothing stored)
                assertThat(outcomes.getOrDefault(id + "#" + a, "none"))
                    .isIn("FAILED", "INTERRUPTED", "none");
              }
            });
        assertThat(outcomes.keySet())
            .as("no row for an attempt Temporal never ran")
            .allSatisfy(
                k -> {
                  String id = k.substring(0, k.indexOf('#'));
                  int attempt = Integer.parseInt(k.substring(k.indexOf('#') + 1));
                  assertThat(ran).containsKey(id);
                  assertThat(attempt).isLessThanOrEqualTo(ran.get(id));
                });
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT e.cost_usd, (SELECT sum(cost_usd) FROM cost_step WHERE run_id = e.run_id)"
                    + " FROM cost_execution e WHERE e.run_id = ?")) {
          s.setString(1, runId);
          try (ResultSet r = s.executeQuery()) {
            assertThat(r.next()).isTrue();
            assertThat(r.getBigDecimal(1)).isPositive().isEqualByComparingTo(r.getBigDecimal(2));
          }
        }
      }
    }
  }

  /**
   * Keys (run, activity, attempt) of the attempts {@code journal} holds as recorded write-behind
   * and not ended: in the journal, not (yet) in the database.
   */
  private static Map<String, String[]> recordedNotEnded(Path journal) throws Exception {
    return notEnded(journal, "recorded");
  }

  /**
   * Keys (run, activity, attempt) of the attempts that have a journal entry of {@code kind} ({@code
   * observed}: usage billed while running; {@code recorded}: recorded write-behind, in full or as
   * the rows observed) and no {@code ended} entry after it. A line being written (torn) is skipped.
   */
  private static Map<String, String[]> notEnded(Path journal, String kind) throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    Map<String, String[]> open = new java.util.LinkedHashMap<>();
    if (!Files.exists(journal)) {
      return open;
    }
    for (String line : Files.readAllLines(journal)) {
      if (line.isBlank()) {
        continue;
      }
      com.fasterxml.jackson.databind.JsonNode e;
      try {
        e = json.readTree(line);
      } catch (java.io.IOException torn) {
        continue;
      }
      com.fasterxml.jackson.databind.JsonNode o = e.get(kind);
      if (o != null && o.isArray()) {
        o = o.size() > 0 ? o.get(0) : null;
      }
      // final rows recorded as the rows observed name their attempt by its journal key
      com.fasterxml.jackson.databind.JsonNode asObserved = e.get("recordedAsObserved");
      if (o != null && !o.isNull()) {
        String[] key = {
          o.get("runId").asText(), o.get("activityId").asText(), o.get("attempt").asText()
        };
        open.put(String.join("\u0000", key), key);
      } else if (kind.equals("recorded") && asObserved != null && !asObserved.isNull()) {
        String key = asObserved.get("key").asText();
        open.put(key, key.split("\u0000"));
      } else if (e.hasNonNull("ended")) {
        open.remove(e.get("ended").asText());
      }
    }
    return open;
  }

  @Test
  void aWriteBehindWorkerKilledBeforeItsRowsReachedTheDatabaseWritesThemOnceAtItsNextStart()
      throws Exception {
    String url = TestWorkers.config(dir).build().databaseUrl();
    // writers gather for a whole second, so attempts wait in the journal long enough to be killed
    Map<String, String> env = Map.of("DATABASE_URL", url, "COSTWISE_WRITE_BEHIND", "1");
    Path journal = dir.resolve("data").resolve("cost-spool.jsonl.journal");
    WorkerProcess first = new WorkerProcess("first", env);
    List<WorkflowStub> runs = startRuns("behind", 3);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (recordedNotEnded(journal).isEmpty()) {
      assertThat(System.nanoTime()).as("an attempt recorded within 60 s").isLessThan(deadline);
      Thread.sleep(10);
    }
    first.process.destroyForcibly(); // kill -9: no hook, no flush, writers cut mid-linger
    assertThat(first.process.waitFor(10, TimeUnit.SECONDS)).isTrue();

    Map<String, String[]> left = recordedNotEnded(journal);
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      assertThat(left.values())
          .as("attempts the killed worker had recorded and not yet written")
          .anySatisfy(key -> assertThat(linesOf(c, key)).isZero());
    }

    WorkerProcess second = new WorkerProcess("second", env);
    assertThat(Files.readString(second.err))
        .contains("a previous worker had recorded in its journal but not yet written");
    assertAllComplete(runs);
    second.stop();

    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      for (String[] key : left.values()) {
        assertThat(linesOf(c, key)).as("lines of %s", String.join("/", key)).isPositive();
      }
      for (WorkflowStub run : runs) {
        String runId = run.getExecution().getRunId();
        Map<String, Integer> ran = attemptsRan(run.getExecution());
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT activity_id, attempt, string_agg(DISTINCT outcome, ','), count(*),"
                    + " count(DISTINCT line_no) FROM cost_step WHERE run_id = ?"
                    + " GROUP BY activity_id, attempt")) {
          s.setString(1, runId);
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              String k = r.getString(1) + "#" + r.getInt(2);
              assertThat(r.getInt(4)).as("each line of %s stored once", k).isEqualTo(r.getInt(5));
              assertThat(ran).as("%s is an activity Temporal ran", k).containsKey(r.getString(1));
              assertThat(r.getInt(2)).isLessThanOrEqualTo(ran.get(r.getString(1)));
            }
          }
        }
        ran.forEach(
            (id, last) -> {
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT DISTINCT outcome FROM cost_step WHERE run_id = ? AND activity_id = ?"
                          + " AND attempt = ?")) {
                s.setString(1, runId);
                s.setString(2, id);
                s.setInt(3, last);
                try (ResultSet r = s.executeQuery()) {
                  assertThat(r.next()).as("the attempt that completed %s", id).isTrue();
                  assertThat(r.getString(1)).isEqualTo("COMPLETED");
                }
              } catch (java.sql.SQLException e) {
                throw new AssertionError(e);
              }
            });
      }
      try (Statement s = c.createStatement()) {
        try (ResultSet r = s.executeQuery(FleetIT.TOTALS_MISMATCH)) {
          assertThat(r.next()).as("an execution total differs from its lines").isFalse();
        }
        try (ResultSet r = s.executeQuery(FleetIT.ROLLUP_MISMATCH)) {
          assertThat(r.next()).as("a daily rollup differs from the lines").isFalse();
        }
      }
    }
    assertThat(dir.resolve("data").resolve("cost-spool.jsonl")).doesNotExist();
  }

  private static int linesOf(Connection c, String[] key) throws java.sql.SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT count(*) FROM cost_step WHERE run_id = ? AND activity_id = ? AND attempt = ?")) {
      s.setString(1, key[0]);
      s.setString(2, key[1]);
      s.setInt(3, Integer.parseInt(key[2]));
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getInt(1);
      }
    }
  }
}
