package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.demo.PipelineResult;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three packaged worker processes on one task queue and one PostgreSQL, the way a fleet runs: the
 * runs' activities spread over the workers, one worker is killed ({@code kill -9}) mid-way and
 * started again. Every attempt Temporal ran is recorded at most once (and the one that completed,
 * exactly once), and every execution total and daily rollup equals a recomputation from the lines.
 */
class FleetIT {
  private static final String QUEUE = "fleet";

  @TempDir Path dir;
  private JarWorkers fleet;
  private WorkflowClient client;

  @BeforeEach
  void startTemporal() {
    fleet = new JarWorkers(dir);
    client = fleet.client();
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    fleet.close();
  }

  /** Starts a worker process with its own data folder; does not wait for it. */
  private Process start(String name, String dataDir, String databaseUrl) throws Exception {
    return fleet.start(
        name,
        Map.of(
            "DATABASE_URL",
            databaseUrl,
            "COSTWISE_DATA_DIR",
            dir.resolve(dataDir).toString(),
            "COSTWISE_TASK_QUEUE",
            QUEUE));
  }

  private void awaitRunning(String name, Process p) throws Exception {
    fleet.awaitRunning(name, p);
  }

  /** Activity attempts started so far on every worker, by worker identity. */
  private Map<String, Integer> attemptsByWorker(List<WorkflowStub> runs) {
    Map<String, Integer> by = new TreeMap<>();
    for (WorkflowStub run : runs) {
      var x = run.getExecution();
      for (HistoryEvent e : client.fetchHistory(x.getWorkflowId(), x.getRunId()).getEvents()) {
        if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
          by.merge(e.getActivityTaskStartedEventAttributes().getIdentity(), 1, Integer::sum);
        }
      }
    }
    return by;
  }

  @Test
  void threeWorkersOneKilledAndRestartedRecordEveryAttemptOnceWithTotalsAndRollupsInStep()
      throws Exception {
    String url = TestWorkers.config(dir).build().databaseUrl();
    Process[] workers = {
      start("w1", "data-1", url), start("w2", "data-2", url), start("w3", "data-3", url)
    };
    for (int i = 0; i < 3; i++) {
      awaitRunning("w" + (i + 1), workers[i]);
    }

    List<WorkflowStub> runs = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      ContentPipelineWorkflow wf =
          client.newWorkflowStub(
              ContentPipelineWorkflow.class,
              WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("fleet-" + i).build());
      WorkflowClient.start(
          wf::produce,
          new PipelineRequest("run " + i, 2, 4, "veo-3.0-fast-generate-001", false, i == 0));
      runs.add(WorkflowStub.fromTyped(wf));
    }

    // mid-way: once the fleet has started a good share of the work, kill one worker
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (attemptsByWorker(runs).values().stream().mapToInt(Integer::intValue).sum() < 20) {
      assertThat(System.nanoTime()).as("activities started within 60 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    workers[1].destroyForcibly();
    assertThat(workers[1].waitFor(10, TimeUnit.SECONDS)).isTrue();
    java.time.Instant killedAt = java.time.Instant.now();
    Process restarted = start("w2-again", "data-2", url); // same folder: it recovers the journal
    awaitRunning("w2-again", restarted);

    for (WorkflowStub run : runs) {
      PipelineResult result = run.getResult(90, TimeUnit.SECONDS, PipelineResult.class);
      assertThat(result.clips()).hasSize(2);
    }
    for (Process p : List.of(workers[0], workers[2], restarted)) {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    Map<String, Integer> byWorker = attemptsByWorker(runs);
    System.out.println("activity attempts by worker: " + byWorker);
    assertThat(byWorker.keySet()).as("workers that ran activities").hasSizeGreaterThanOrEqualTo(2);

    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      for (WorkflowStub run : runs) {
        String runId = run.getExecution().getRunId();
        Map<String, Integer> ran = fleet.attemptsRan(run.getExecution());
        assertThat(ran).as("model calls of %s", runId).hasSize(6);
        Map<String, String> outcomes = new TreeMap<>();
        Map<String, java.time.Instant> recordedAt = new TreeMap<>();
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT activity_id, attempt, string_agg(DISTINCT outcome, ','), count(*),"
                    + " count(DISTINCT line_no), max(recorded_at) FROM cost_step WHERE run_id = ?"
                    + " GROUP BY activity_id, attempt")) {
          s.setString(1, runId);
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              String key = r.getString(1) + "#" + r.getInt(2);
              assertThat(r.getInt(4)).as("each line of %s stored once", key).isEqualTo(r.getInt(5));
              outcomes.put(key, r.getString(3));
              recordedAt.put(key, r.getTimestamp(6).toInstant());
            }
          }
        }
        ran.forEach(
            (id, last) -> {
              assertThat(outcomes.get(id + "#" + last))
                  .as("the attempt that completed %s of %s", id, runId)
                  .isEqualTo("COMPLETED");
              for (int a = 1; a < last; a++) {
                String earlier = id + "#" + a;
                String outcome = outcomes.getOrDefault(earlier, "none");
                if (outcome.equals("COMPLETED")) {
                  // it finished and recorded its cost on the worker killed before it could tell
                  // Temporal, which ran it again: both were paid for, both count
                  assertThat(recordedAt.get(earlier))
                      .as(
                          "%s of %s, stored COMPLETED although retried: recorded before the kill",
                          earlier, runId)
                      .isBefore(killedAt);
                } else {
                  assertThat(outcome).isIn("FAILED", "INTERRUPTED", "none");
                }
              }
            });
        assertThat(new TreeSet<>(outcomes.keySet()))
            .as("no row for an attempt Temporal never ran")
            .allSatisfy(
                k -> {
                  String id = k.substring(0, k.indexOf('#'));
                  assertThat(ran).containsKey(id);
                  assertThat(Integer.parseInt(k.substring(k.indexOf('#') + 1)))
                      .isLessThanOrEqualTo(ran.get(id));
                });
      }
      try (Statement s = c.createStatement()) {
        try (ResultSet r = s.executeQuery(TOTALS_MISMATCH)) {
          assertThat(r.next()).as("an execution total differs from its lines").isFalse();
        }
        try (ResultSet r = s.executeQuery(ROLLUP_MISMATCH)) {
          assertThat(r.next()).as("a daily rollup differs from the lines").isFalse();
        }
        try (ResultSet r = s.executeQuery("SELECT count(*) FROM cost_execution")) {
          r.next();
          assertThat(r.getLong(1)).isEqualTo(runs.size());
        }
      }
    }
    for (String w : List.of("data-1", "data-2", "data-3")) {
      assertThat(dir.resolve(w).resolve("cost-spool.jsonl")).as("spool of %s", w).doesNotExist();
    }
  }

  /** Execution totals that differ from the sums over their lines; no rows when all agree. */
  static final String TOTALS_MISMATCH =
      """
      SELECT e.run_id FROM cost_execution e
        LEFT JOIN (SELECT run_id, COALESCE(SUM(cost_usd), 0) AS cost_usd, SUM(input_tokens) AS input_tokens,
                          SUM(output_tokens) AS output_tokens, SUM(images) AS images,
                          SUM(video_seconds) AS video_seconds, SUM(characters) AS characters, COUNT(*) AS n,
                          COUNT(*) FILTER (WHERE NOT priced) AS unpriced
                     FROM cost_step GROUP BY run_id) s ON s.run_id = e.run_id
       WHERE e.cost_usd <> COALESCE(s.cost_usd, 0) OR e.input_tokens <> COALESCE(s.input_tokens, 0)
          OR e.output_tokens <> COALESCE(s.output_tokens, 0) OR e.images <> COALESCE(s.images, 0)
          OR e.video_seconds <> COALESCE(s.video_seconds, 0) OR e.characters <> COALESCE(s.characters, 0)
          OR e.usage_count <> COALESCE(s.n, 0) OR e.unpriced_usage_count <> COALESCE(s.unpriced, 0)
      """;

  /** Daily rollup rows that differ from a recomputation over the lines, both ways. */
  static final String ROLLUP_MISMATCH =
      """
      WITH s AS (
        SELECT (recorded_at AT TIME ZONE 'UTC')::date AS day, provider, COALESCE(priced_model, model) AS model,
               workflow_type, activity_type, task_queue, COALESCE(tags ->> 'tenant', '') AS tenant,
               COALESCE(SUM(cost_usd), 0) AS cost_usd, COUNT(*) AS usage_count,
               COUNT(*) FILTER (WHERE NOT priced) AS unpriced_usage_count, SUM(input_tokens) AS input_tokens,
               SUM(output_tokens) AS output_tokens, SUM(images) AS images, SUM(video_seconds) AS video_seconds,
               SUM(characters) AS characters
          FROM cost_step GROUP BY 1, 2, 3, 4, 5, 6, 7),
      r AS (SELECT day, provider, model, workflow_type, activity_type, task_queue, tenant, cost_usd,
                   usage_count, unpriced_usage_count, input_tokens, output_tokens, images, video_seconds,
                   characters
              FROM cost_rollup_daily WHERE usage_count <> 0)
      (SELECT * FROM s EXCEPT SELECT * FROM r) UNION ALL (SELECT * FROM r EXCEPT SELECT * FROM s)
      """;
}
