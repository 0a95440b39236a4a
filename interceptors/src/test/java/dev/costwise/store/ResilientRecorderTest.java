package dev.costwise.store;

import static dev.costwise.store.Attempts.attempt;
import static dev.costwise.store.Attempts.mini;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.TestDatabase;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** Database down: nothing is lost, and nothing is counted twice when it comes back. */
class ResilientRecorderTest {
  @TempDir Path dir;

  private static PGSimpleDataSource unreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl("jdbc:postgresql://127.0.0.1:" + port + "/costwise");
    ds.setConnectTimeout(1);
    return ds;
  }

  @Test
  void spoolsWhenTheDatabaseIsDownAndReplaysExactlyOnce() throws Exception {
    List<Boolean> failures = new ArrayList<>();
    ResilientRecorder.Listener listener = (attempt, error, spooled) -> failures.add(spooled);
    Path spool = dir.resolve("spool/cost.jsonl");

    ResilientRecorder down =
        new ResilientRecorder(
            new CostStore(CostStore.jdbi(unreachable())), spool, 2, Duration.ofMillis(5), listener);
    down.record(attempt("run-spooled", "1", 1, Outcome.FAILED, mini()));
    down.record(attempt("run-spooled", "1", 2, Outcome.COMPLETED, mini()));
    assertThat(failures).containsExactly(true, true);
    assertThat(down.spooledCount()).isEqualTo(2);

    CostStore store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    store.record(
        attempt(
            "run-spooled",
            "1",
            1,
            Outcome.FAILED,
            mini())); // this one had reached the database after all
    ResilientRecorder up = new ResilientRecorder(store, spool, 2, Duration.ofMillis(5), listener);
    assertThat(up.flushSpool()).isEqualTo(2);
    assertThat(up.spooledCount()).isZero();
    assertThat(up.flushSpool()).isZero();

    assertThat(store.steps("run-spooled")).extracting(StepRow::attempt).containsExactly(1, 2);
    assertThat(store.execution("run-spooled").orElseThrow().costUsd())
        .isEqualByComparingTo("0.00042");
  }

  @Test
  void aWriteThatSucceedsIsNotSpooled() {
    CostStore store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    List<Boolean> failures = new ArrayList<>();
    ResilientRecorder r =
        new ResilientRecorder(
            store,
            dir.resolve("cost.jsonl"),
            3,
            Duration.ofMillis(5),
            (a, e, s) -> failures.add(s));
    r.record(attempt("run-ok", "1", 1, Outcome.COMPLETED, mini()));
    assertThat(failures).isEmpty();
    assertThat(r.spooledCount()).isZero();
    assertThat(store.execution("run-ok").orElseThrow().costUsd()).isEqualByComparingTo("0.00021");
  }

  @Test
  void concurrentRecordsShareCommitsAndKeepExactTotals() throws Exception {
    CostStore store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    List<Boolean> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (ResilientRecorder r =
        new ResilientRecorder(
            store,
            dir.resolve("cost.jsonl"),
            3,
            Duration.ofMillis(5),
            (a, e, s) -> failures.add(s),
            16)) {
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(32);
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        String run = "run-group-" + (i % 5);
        String activity = String.valueOf(i);
        done.add(pool.submit(() -> r.record(attempt(run, activity, 1, Outcome.COMPLETED, mini()))));
        if (i % 10 == 0) { // a redelivered completion racing the first
          done.add(
              pool.submit(() -> r.record(attempt(run, activity, 1, Outcome.COMPLETED, mini()))));
        }
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
      pool.shutdown();
    }
    assertThat(failures).isEmpty();
    for (int run = 0; run < 5; run++) {
      ExecutionTotals t = store.execution("run-group-" + run).orElseThrow();
      assertThat(t.usageCount()).isEqualTo(60);
      assertThat(t.costUsd()).isEqualByComparingTo("0.0126"); // 60 * 0.00021
    }
  }
}
