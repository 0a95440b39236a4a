package dev.costwise.store;

import static dev.costwise.store.Attempts.attempt;
import static dev.costwise.store.Attempts.mini;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.StoppableDatabase;
import dev.costwise.testing.TestDatabase;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a cost recorder meets in production, on a real PostgreSQL: an outage, a database slower
 * than the activity may wait, data PostgreSQL refuses, a worker that dies mid-attempt. Each test
 * asserts that every attempt is recorded exactly once and that totals and rollups equal a
 * recomputation from the step rows.
 */
class RecorderFaultsTest {
  private static final BigDecimal MINI = new BigDecimal("0.00021");

  @TempDir Path dir;

  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ResilientRecorder.Listener listener =
      new ResilientRecorder.Listener() {
        @Override
        public void writeFailed(AttemptCost attempt, Exception error, boolean spooled) {
          events.add("failed spooled=" + spooled);
        }

        @Override
        public void rejected(String runId, String activityId, int attempt, String reason) {
          events.add("rejected " + activityId);
        }

        @Override
        public void databaseDown(String reason) {
          events.add("down");
        }

        @Override
        public void databaseUp() {
          events.add("up");
        }
      };

  private ResilientRecorder recorder(CostStore store, Duration maxWait) {
    return new ResilientRecorder(
        store, dir.resolve("spool/cost.jsonl"), 3, Duration.ofMillis(20), listener, 500, maxWait);
  }

  @Test
  void anOutageIsDetectedOnceThenAttemptsGoStraightToTheSpoolAndAreReplayedExactlyOnce()
      throws Exception {
    try (StoppableDatabase db = new StoppableDatabase(dir.resolve("pg"))) {
      CostStore store = new CostStore(CostStore.jdbi(db.dataSource()));
      try (ResilientRecorder r = recorder(store, Duration.ofSeconds(30))) {
        for (int i = 1; i <= 5; i++) {
          r.record(attempt("run-outage", "a" + i, 1, Outcome.COMPLETED, mini()));
        }
        db.stop();

        r.record(attempt("run-outage", "a6", 1, Outcome.COMPLETED, mini())); // finds the outage
        assertThat(r.databaseDown()).isTrue();
        long before = System.nanoTime();
        for (int i = 7; i <= 46; i++) {
          r.record(attempt("run-outage", "a" + i, 1, Outcome.COMPLETED, mini()));
        }
        Duration forty = Duration.ofNanos(System.nanoTime() - before);
        // one connection timeout is 5 s; forty records that each tried the database would take
        // minutes, forty that go straight to the fsynced spool take milliseconds each
        assertThat(forty).isLessThan(Duration.ofSeconds(5));
        assertThat(r.spooledCount()).isEqualTo(41);
        assertThat(r.unwrittenUsd("run-outage")).isEqualByComparingTo(MINI.multiply(bd(41)));
        assertThat(events).containsOnlyOnce("down");

        db.start();
        await(() -> r.spooledCount() == 0 && !r.databaseDown(), Duration.ofSeconds(60));
        assertThat(events).contains("up");
        assertThat(r.unwrittenUsd("run-outage")).isEqualByComparingTo("0");
      }
      assertEveryAttemptOnceAndTotalsRecomputed(store, "run-outage", 46, MINI.multiply(bd(46)));
    }
  }

  @Test
  void aWriteSlowerThanTheAttemptMayWaitIsSpooledAndStillCountedOnce() throws Exception {
    DataSource ds = TestDatabase.fresh();
    CostStore store = new CostStore(CostStore.jdbi(ds));
    try (ResilientRecorder r = recorder(store, Duration.ofSeconds(30))) {
      r.record(attempt("run-slow", "a1", 1, Outcome.COMPLETED, mini()));
      try (Connection lock = ds.getConnection()) {
        lock.setAutoCommit(false);
        lock.createStatement()
            .execute("SELECT * FROM cost_execution WHERE run_id = 'run-slow' FOR UPDATE");
        // the attempt's timeout leaves it 300 ms for its cost: it must not wait for the lock
        r.record(
            attempt("run-slow", "a2", 1, Outcome.COMPLETED, mini()), Instant.now().plusMillis(300));
        assertThat(r.spooledCount()).isEqualTo(1);
        assertThat(r.unwrittenUsd("run-slow")).isEqualByComparingTo(MINI);
        lock.rollback();
      }
      await(() -> r.spooledCount() == 0, Duration.ofSeconds(30));
    }
    assertEveryAttemptOnceAndTotalsRecomputed(store, "run-slow", 2, MINI.multiply(bd(2)));
  }

  @Test
  void valuesPostgresRefusesAreSetAsideVisiblyAndTheirCostStillCounts() throws Exception {
    CostStore store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    String nul = "acme\u0000corp";
    // incompressible, so PostgreSQL cannot fit it in the rollup's index
    String huge =
        new java.util.Random(7)
            .ints(3_000, 33, 127)
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString();
    try (ResilientRecorder r = recorder(store, Duration.ofSeconds(30))) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> done = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        String id = "good" + i;
        done.add(pool.submit(() -> r.record(attempt("run-bad", id, 1, Outcome.COMPLETED, mini()))));
      }
      done.add(
          pool.submit(
              () -> r.record(Attempts.tagged("run-bad", "nul", Map.of("tenant", nul), mini()))));
      done.add(
          pool.submit(
              () -> r.record(Attempts.tagged("run-bad", "huge", Map.of("tenant", huge), mini()))));
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();
      assertThat(r.spooledCount()).isZero();
      assertThat(r.rejectedCount()).isEqualTo(2);
    }
    assertThat(events).contains("rejected nul", "rejected huge").doesNotContain("down");
    assertEveryAttemptOnceAndTotalsRecomputed(store, "run-bad", 22, MINI.multiply(bd(22)));

    List<RejectedAttempt> rejected = store.rejected(10);
    assertThat(rejected)
        .extracting(RejectedAttempt::activityId)
        .containsExactlyInAnyOrder("nul", "huge");
    assertThat(rejected).allSatisfy(x -> assertThat(x.costUsd()).isEqualByComparingTo(MINI));
    RejectedAttempt withNul =
        rejected.stream().filter(x -> x.activityId().equals("nul")).findFirst().orElseThrow();
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    String originalTags = json.readTree(withNul.original()).get(0).get("tags").asText();
    assertThat(json.readTree(originalTags).get("tenant").asText()).isEqualTo(nul);
    assertThat(withNul.reason()).isNotBlank().hasSizeLessThanOrEqualTo(501);
    assertThat(store.unresolvedRejected()).isEqualTo(2);
    assertThat(store.resolveRejected()).isEqualTo(2);
    assertThat(store.unresolvedRejected()).isZero();
    // the stored rows carry the cost and storable tags
    assertThat(store.steps("run-bad"))
        .filteredOn(s -> s.activityId().equals("nul"))
        .singleElement()
        .satisfies(s -> assertThat(s.tags()).contains("acmecorp"));
  }

  @Test
  void aWorkerThatDiedLeavesItsRunningAttemptsToBeRecordedAsInterrupted() throws Exception {
    CostStore store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    Clock clock = Clock.systemUTC();
    ResilientRecorder dead = recorder(store, Duration.ofSeconds(30));
    // A: two model calls made, then the worker dies before the attempt ends
    var a = dead.observe(Attempts.context("run-crash", "A", 1), Map.of("tenant", "acme"), clock);
    a.recorded(0, Attempts.priced(mini()));
    a.recorded(1, Attempts.priced(Attempts.gpt4o()));
    // B: ended normally before the crash
    var b = dead.observe(Attempts.context("run-crash", "B", 1), Map.of(), clock);
    b.recorded(0, Attempts.priced(mini()));
    dead.record(attempt("run-crash", "B", 1, Outcome.COMPLETED, mini()));
    // C: its record reached the database, the worker died before noting the end
    var c = dead.observe(Attempts.context("run-crash", "C", 1), Map.of(), clock);
    c.recorded(0, Attempts.priced(mini()));
    store.record(attempt("run-crash", "C", 1, Outcome.FAILED, mini()));
    Thread.sleep(50); // the journal's background sync; a killed process keeps written bytes anyway

    try (ResilientRecorder restarted = recorder(store, Duration.ofSeconds(30))) {
      assertThat(restarted.openAttempts()).isZero();
    }
    List<StepRow> steps = store.steps("run-crash");
    assertThat(steps)
        .filteredOn(s -> s.activityId().equals("A"))
        .extracting(StepRow::outcome, StepRow::lineNo)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("INTERRUPTED", 0),
            org.assertj.core.groups.Tuple.tuple("INTERRUPTED", 1));
    assertThat(steps)
        .filteredOn(s -> s.activityId().equals("B"))
        .extracting(StepRow::outcome)
        .containsExactly("COMPLETED");
    assertThat(steps)
        .filteredOn(s -> s.activityId().equals("C"))
        .extracting(StepRow::outcome)
        .containsExactly("FAILED");
    BigDecimal expected = MINI.multiply(bd(3)).add(new BigDecimal("0.0025"));
    assertEveryAttemptOnceAndTotalsRecomputed(store, "run-crash", 3, expected);

    // a third start finds nothing left to recover and changes nothing
    try (ResilientRecorder again = recorder(store, Duration.ofSeconds(30))) {
      assertThat(again.spooledCount()).isZero();
    }
    assertEveryAttemptOnceAndTotalsRecomputed(store, "run-crash", 3, expected);
    dead.close();
  }

  @Test
  void interruptedAttemptsFoundWhileTheDatabaseIsDownWaitInTheSpoolAndNeverReplaceARecord()
      throws Exception {
    try (StoppableDatabase db = new StoppableDatabase(dir.resolve("pg"))) {
      CostStore store = new CostStore(CostStore.jdbi(db.dataSource()));
      Clock clock = Clock.systemUTC();
      ResilientRecorder dead = recorder(store, Duration.ofSeconds(30));
      dead.observe(Attempts.context("run-late", "A", 1), Map.of(), clock)
          .recorded(0, Attempts.priced(mini()));
      var b = dead.observe(Attempts.context("run-late", "B", 1), Map.of(), clock);
      b.recorded(0, Attempts.priced(mini()));
      store.record(attempt("run-late", "B", 1, Outcome.COMPLETED, mini()));
      Thread.sleep(50);
      db.stop();
      try (ResilientRecorder restarted = recorder(store, Duration.ofSeconds(30))) {
        assertThat(restarted.spooledCount()).isEqualTo(2);
        db.start();
        await(() -> restarted.spooledCount() == 0, Duration.ofSeconds(60));
      }
      List<StepRow> steps = store.steps("run-late");
      assertThat(steps)
          .extracting(StepRow::activityId, StepRow::outcome)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("A", "INTERRUPTED"),
              org.assertj.core.groups.Tuple.tuple("B", "COMPLETED"));
      assertEveryAttemptOnceAndTotalsRecomputed(store, "run-late", 2, MINI.multiply(bd(2)));
      dead.close();
    }
  }

  /**
   * Every attempt has its rows once; the execution total and the daily rollup equal sums over the
   * step rows, and the total is what the test expects.
   */
  static void assertEveryAttemptOnceAndTotalsRecomputed(
      CostStore store, String runId, int attempts, BigDecimal expectedTotal) {
    Jdbi jdbi = store.jdbi();
    List<StepRow> steps = store.steps(runId);
    assertThat(steps.stream().map(s -> s.activityId() + "#" + s.attempt()).distinct().count())
        .isEqualTo(attempts);
    BigDecimal fromSteps =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT COALESCE(SUM(cost_usd), 0) FROM cost_step WHERE run_id = :r")
                    .bind("r", runId)
                    .mapTo(BigDecimal.class)
                    .one());
    assertThat(fromSteps).isEqualByComparingTo(expectedTotal);
    ExecutionTotals run = store.execution(runId).orElseThrow();
    assertThat(run.costUsd()).isEqualByComparingTo(fromSteps);
    java.time.Instant[] span =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT min(recorded_at) AS first, max(recorded_at) AS last"
                            + " FROM cost_step WHERE run_id = :r")
                    .bind("r", runId)
                    .map(
                        (rs, ctx) ->
                            new java.time.Instant[] {
                              rs.getTimestamp("first").toInstant(),
                              rs.getTimestamp("last").toInstant()
                            })
                    .one());
    assertThat(run.lastRecordedAt()).as("the run's last record").isEqualTo(span[1]);
    assertThat(run.firstRecordedAt()).as("the run's first record").isBeforeOrEqualTo(span[0]);
    BigDecimal allSteps =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT COALESCE(SUM(cost_usd), 0) FROM cost_step")
                    .mapTo(BigDecimal.class)
                    .one());
    BigDecimal rollup =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT COALESCE(SUM(cost_usd), 0) FROM cost_rollup_daily")
                    .mapTo(BigDecimal.class)
                    .one());
    assertThat(rollup).isEqualByComparingTo(allSteps);
  }

  static void await(BooleanSupplier condition, Duration atMost) {
    dev.costwise.testing.Eventually.until("the condition holds", atMost, condition);
  }

  private static BigDecimal bd(int n) {
    return BigDecimal.valueOf(n);
  }
}
