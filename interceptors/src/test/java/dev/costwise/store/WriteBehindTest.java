package dev.costwise.store;

import static dev.costwise.store.Attempts.attempt;
import static dev.costwise.store.Attempts.gpt4o;
import static dev.costwise.store.Attempts.mini;
import static dev.costwise.store.RecorderFaultsTest.assertEveryAttemptOnceAndTotalsRecomputed;
import static dev.costwise.store.RecorderFaultsTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.TestDatabase;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write-behind on a real PostgreSQL: a record returns once the attempt is in the synced journal,
 * the database gets it later, and nothing is lost or counted twice when the database lags, when the
 * worker dies between the journal and the database, or when it stops cleanly. A gate in front of
 * the pool plays the slow database: while it is shut, writers wait for a connection.
 */
class WriteBehindTest {
  private static final BigDecimal MINI = new BigDecimal("0.00021");
  private static final BigDecimal GPT4O = new BigDecimal("0.0025");
  private static final Duration LINGER = Duration.ofMillis(5);

  @TempDir Path dir;

  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ResilientRecorder.Listener listener =
      new ResilientRecorder.Listener() {
        @Override
        public void writeFailed(AttemptCost attempt, Exception error, boolean spooled) {
          events.add("failed spooled=" + spooled + " " + attempt.context().activityId());
        }
      };

  private ResilientRecorder recorder(CostStore store, int maxBatch, Duration maxWait) {
    return new ResilientRecorder(
            store,
            dir.resolve("spool/cost.jsonl"),
            3,
            Duration.ofMillis(20),
            listener,
            maxBatch,
            maxWait)
        .writeBehind(LINGER);
  }

  /** Records on another thread and fails the test if the record takes longer than 10 s. */
  private static void recordSoon(ResilientRecorder r, AttemptCost a) throws Exception {
    CompletableFuture.runAsync(() -> r.record(a)).get(10, TimeUnit.SECONDS);
  }

  private static long stepRows(CostStore store, String runId) {
    return store.steps(runId).size();
  }

  @Test
  void aRecordReturnsBeforeTheDatabaseHasItAndEveryAttemptLandsOnce() throws Exception {
    Gate gate = new Gate(TestDatabase.fresh());
    CostStore store = new CostStore(CostStore.jdbi(gate));
    try (ResilientRecorder r = recorder(store, 500, Duration.ofSeconds(30))) {
      assertThat(r.writesBehind()).isTrue();
      gate.shut();
      for (int i = 1; i <= 4; i++) {
        recordSoon(r, attempt("run-wb", "a" + i, 1, Outcome.COMPLETED, mini()));
      }
      recordSoon(r, attempt("run-wb", "a5", 1, Outcome.FAILED, gpt4o()));
      recordSoon(r, attempt("run-wb", "a5", 2, Outcome.COMPLETED, mini()));

      // the records returned while no writer could reach the database
      await(() -> gate.waiting() > 0, Duration.ofSeconds(10)); // a writer holds them, waiting
      gate.bypass(() -> assertThat(stepRows(store, "run-wb")).isZero());
      // what this worker holds unwritten still counts for its budget checks
      assertThat(r.unwrittenUsd("run-wb")).isEqualByComparingTo(MINI.multiply(bd(5)).add(GPT4O));

      gate.open();
      assertThat(r.awaitWritten(Duration.ofSeconds(30))).isTrue();
      assertThat(r.unwrittenUsd("run-wb")).isZero();
      assertEveryAttemptOnceAndTotalsRecomputed(
          store, "run-wb", 6, MINI.multiply(bd(5)).add(GPT4O));
      assertThat(events).isEmpty();
    }
    assertThat(dir.resolve("spool/cost.jsonl.journal")).as("emptied and removed").doesNotExist();
  }

  @Test
  void aWorkerThatDiesBetweenTheJournalAndTheDatabaseLeavesItsAttemptsToTheNextStart()
      throws Exception {
    DataSource db = TestDatabase.fresh();
    Gate gate = new Gate(db);
    CostStore deadStore = new CostStore(CostStore.jdbi(gate));
    ResilientRecorder dead = recorder(deadStore, 500, Duration.ofSeconds(30));
    gate.shut(); // its writers never reach the database before it "dies"
    recordSoon(dead, attempt("run-died", "A", 1, Outcome.COMPLETED, mini()));
    recordSoon(dead, attempt("run-died", "B", 1, Outcome.FAILED, mini()));
    recordSoon(dead, attempt("run-died", "B", 2, Outcome.COMPLETED, gpt4o()));
    // C was running: its usage observed, its attempt never ended
    dead.observe(Attempts.context("run-died", "C", 1), Map.of(), Clock.systemUTC())
        .recorded(0, Attempts.priced(mini()));
    // D ran as the interceptor drives it: each usage observed, then the attempt recorded with the
    // same lines, and tags and a time of its own; the journal refers to the lines it observed
    AttemptContext d = Attempts.context("run-died", "D", 1);
    var seen = dead.observe(d, Map.of("tenant", "acme"), Clock.systemUTC());
    seen.recorded(0, Attempts.priced(mini()));
    seen.recorded(1, Attempts.priced(gpt4o()));
    Instant dEnded = Attempts.T0.plusSeconds(7);
    recordSoon(
        dead,
        new AttemptCost(
            d,
            Outcome.COMPLETED,
            List.of(Attempts.priced(mini()), Attempts.priced(gpt4o())),
            Map.of("tenant", "acme", "stage", "draft"),
            dEnded));
    Path journal = dir.resolve("spool/cost.jsonl.journal");
    assertThat(Files.readAllLines(journal))
        .as("D's final rows are journaled as a reference to its observed lines")
        .anySatisfy(line -> assertThat(line).contains("\"recordedAsObserved\"").contains("D"));

    CostStore store = new CostStore(CostStore.jdbi(db));
    assertThat(stepRows(store, "run-died")).isZero();
    BigDecimal expected = MINI.multiply(bd(4)).add(GPT4O.multiply(bd(2)));
    try (ResilientRecorder restarted = recorder(store, 500, Duration.ofSeconds(30))) {
      // the start wrote what the journal held: A, B and D as recorded, C as interrupted
      assertThat(store.steps("run-died"))
          .extracting(s -> s.activityId() + "#" + s.attempt() + " " + s.outcome())
          .containsExactlyInAnyOrder(
              "A#1 COMPLETED",
              "B#1 FAILED",
              "B#2 COMPLETED",
              "C#1 INTERRUPTED",
              "D#1 COMPLETED",
              "D#1 COMPLETED");
      assertThat(store.steps("run-died"))
          .filteredOn(s -> s.activityId().equals("D"))
          .allSatisfy(
              s -> {
                assertThat(s.recordedAt()).isEqualTo(dEnded);
                assertThat(s.tags()).contains("\"stage\": \"draft\"");
              })
          .extracting(StepRow::model)
          .containsExactly("gpt-4o-mini", "gpt-4o");
      assertEveryAttemptOnceAndTotalsRecomputed(store, "run-died", 5, expected);
      assertThat(restarted.unwrittenUsd("run-died")).isZero();
    }
    // a third start finds nothing left
    try (ResilientRecorder again = recorder(store, 500, Duration.ofSeconds(30))) {
      assertThat(again.spooledCount()).isZero();
    }
    assertEveryAttemptOnceAndTotalsRecomputed(store, "run-died", 5, expected);

    // the "dead" worker's writers wake after all and write the same attempts: still once
    gate.open();
    assertThat(dead.awaitWritten(Duration.ofSeconds(30))).isTrue();
    assertEveryAttemptOnceAndTotalsRecomputed(store, "run-died", 5, expected);
    dead.close();
  }

  /**
   * A workflow written with an SDK that lets it set activity ids (Go, TypeScript, Python) may reuse
   * one once the activity ended, on a task queue this worker serves. Writing behind, the next
   * execution is recorded before the last one reached the database: every execution is stored once,
   * whether they reach the database in one batch or are left in the journal by a worker that died.
   */
  @Test
  void everyExecutionOfAReusedActivityIdIsStoredOnceAcrossABatchAndACrash() throws Exception {
    DataSource db = TestDatabase.fresh();
    Gate gate = new Gate(db);
    CostStore deadStore = new CostStore(CostStore.jdbi(gate));
    ResilientRecorder dead = recorder(deadStore, 500, Duration.ofSeconds(30));
    gate.shut();
    recordSoon(dead, Attempts.startedAt("run-reuse", "draft", Attempts.T0, mini()));
    recordSoon(dead, Attempts.startedAt("run-reuse", "draft", Attempts.T0.plusSeconds(5), gpt4o()));
    recordSoon(dead, Attempts.startedAt("run-reuse", "draft", Attempts.T0.plusSeconds(9), mini()));
    assertThat(dead.unwrittenUsd("run-reuse"))
        .as("held for budget checks while unwritten, each execution apart")
        .isEqualByComparingTo(MINI.multiply(bd(2)).add(GPT4O));
    BigDecimal expected = MINI.multiply(bd(2)).add(GPT4O);

    // the worker "dies" with all three in its journal: the next start writes all three
    CostStore store = new CostStore(CostStore.jdbi(db));
    try (ResilientRecorder restarted = recorder(store, 500, Duration.ofSeconds(30))) {
      assertThat(store.steps("run-reuse"))
          .extracting(StepRow::activityId, StepRow::attempt, StepRow::model)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("draft", 1, "gpt-4o-mini"),
              org.assertj.core.groups.Tuple.tuple("draft", 1, "gpt-4o"),
              org.assertj.core.groups.Tuple.tuple("draft", 1, "gpt-4o-mini"));
      assertThat(store.execution("run-reuse").orElseThrow().costUsd())
          .isEqualByComparingTo(expected);
    }
    // the "dead" worker's writers wake after all: its one batch holds the three, written again
    gate.open();
    assertThat(dead.awaitWritten(Duration.ofSeconds(30))).isTrue();
    assertThat(store.steps("run-reuse")).hasSize(3);
    assertThat(store.execution("run-reuse").orElseThrow().costUsd())
        .as("the run's total after the same three were written twice")
        .isEqualByComparingTo(expected);
    dead.close();
  }

  @Test
  void aDatabaseThatFallsBehindSlowsRecordsDownThenSpoolsWhatCannotWaitAndLosesNothing()
      throws Exception {
    Gate gate = new Gate(TestDatabase.fresh());
    CostStore store = new CostStore(CostStore.jdbi(gate));
    // batches of 2: at most 8 attempts may wait for the database
    try (ResilientRecorder r = recorder(store, 2, Duration.ofSeconds(1))) {
      var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
      dev.costwise.metrics.CostMetrics.boundTo(registry).watch(r);
      gate.shut();
      for (int i = 1; i <= 8; i++) {
        recordSoon(r, attempt("run-slow", "a" + i, 1, Outcome.COMPLETED, mini()));
      }
      assertThat(registry.get("costwise.writebehind.attempts").gauge().value())
          .as("attempts waiting for the database, as an operator sees them")
          .isEqualTo(8.0);
      // the ninth finds no room and waits for the database
      CompletableFuture<Void> ninth =
          CompletableFuture.runAsync(
              () -> r.record(attempt("run-slow", "a9", 1, Outcome.COMPLETED, mini())));
      Thread.sleep(300);
      assertThat(ninth).as("waits while the database is behind").isNotDone();
      gate.open();
      ninth.get(10, TimeUnit.SECONDS);
      assertThat(events).as("room was made in time: nothing spooled").isEmpty();
      assertThat(r.awaitWritten(Duration.ofSeconds(30))).isTrue();
      await(
          () -> registry.get("costwise.writebehind.attempts").gauge().value() == 0,
          Duration.ofSeconds(10));

      // behind for longer than a record may wait: the record goes to the spool and returns
      gate.shut();
      for (int i = 10; i <= 17; i++) {
        recordSoon(r, attempt("run-slow", "a" + i, 1, Outcome.COMPLETED, mini()));
      }
      recordSoon(r, attempt("run-slow", "a18", 1, Outcome.COMPLETED, mini()));
      assertThat(events).containsExactly("failed spooled=true a18");
      assertThat(r.spooledCount()).isEqualTo(1);
      assertThat(r.unwrittenUsd("run-slow")).isEqualByComparingTo(MINI.multiply(bd(9)));

      gate.open();
      assertThat(r.awaitWritten(Duration.ofSeconds(30))).isTrue();
      await(() -> r.spooledCount() == 0, Duration.ofSeconds(30));
      assertEveryAttemptOnceAndTotalsRecomputed(store, "run-slow", 18, MINI.multiply(bd(18)));
    }
  }

  @Test
  void aCleanStopWritesEveryAttemptRecordedBehind() throws Exception {
    Gate gate = new Gate(TestDatabase.fresh());
    CostStore store = new CostStore(CostStore.jdbi(gate));
    ResilientRecorder r = recorder(store, 500, Duration.ofSeconds(30));
    gate.shut();
    for (int i = 1; i <= 5; i++) {
      recordSoon(r, attempt("run-stop", "a" + i, 1, Outcome.COMPLETED, mini()));
    }
    CompletableFuture<Void> closing = CompletableFuture.runAsync(r::close);
    Thread.sleep(200);
    assertThat(closing).as("the stop waits for the writes").isNotDone();
    gate.open();
    closing.get(30, TimeUnit.SECONDS);
    assertEveryAttemptOnceAndTotalsRecomputed(store, "run-stop", 5, MINI.multiply(bd(5)));
    assertThat(events).isEmpty();
    assertThat(Files.exists(dir.resolve("spool/cost.jsonl.journal"))).isFalse();
  }

  @Test
  void writeBehindCanBeTurnedOffAgainAndANegativeLingerIsRefused() throws Exception {
    Gate gate = new Gate(TestDatabase.fresh());
    CostStore store = new CostStore(CostStore.jdbi(gate));
    try (ResilientRecorder r = recorder(store, 500, Duration.ofSeconds(30))) {
      r.writeBehind(null);
      assertThat(r.writesBehind()).isFalse();
      r.record(attempt("run-through", "a1", 1, Outcome.COMPLETED, mini()));
      // write-through: in the database when record returns
      assertThat(stepRows(store, "run-through")).isEqualTo(1);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.writeBehind(Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("linger");
    }
  }

  private static BigDecimal bd(int n) {
    return BigDecimal.valueOf(n);
  }

  /**
   * A data source whose connections can be held back: while shut, {@link #getConnection} waits (the
   * writers' view of a database that is behind); the test itself reads past it.
   */
  static final class Gate implements DataSource {
    private final DataSource real;
    private boolean shut;
    private int waiting;
    private final ThreadLocal<Boolean> bypass = ThreadLocal.withInitial(() -> false);

    Gate(DataSource real) {
      this.real = real;
    }

    synchronized void shut() {
      shut = true;
    }

    synchronized void open() {
      shut = false;
      notifyAll();
    }

    synchronized int waiting() {
      return waiting;
    }

    void bypass(Runnable r) {
      bypass.set(true);
      try {
        r.run();
      } finally {
        bypass.set(false);
      }
    }

    private void pass() throws SQLException {
      if (bypass.get()) {
        return;
      }
      synchronized (this) {
        waiting++;
        try {
          while (shut) {
            wait();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while the gate was shut");
        } finally {
          waiting--;
        }
      }
    }

    @Override
    public Connection getConnection() throws SQLException {
      pass();
      return real.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      pass();
      return real.getConnection(user, password);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return real.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      real.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      real.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return real.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return real.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return real.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
      return real.isWrapperFor(iface);
    }
  }
}
