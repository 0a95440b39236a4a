package dev.costwise.store;

import static dev.costwise.store.Attempts.attempt;
import static dev.costwise.store.Attempts.gpt4o;
import static dev.costwise.store.Attempts.mini;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The store against a real PostgreSQL: idempotent per-attempt rows and totals kept in step. */
class CostStoreTest {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private static CostStore store;

  @BeforeAll
  static void database() {
    store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
  }

  @Test
  void repeatedPersistenceOfTheSameAttemptDoesNotDoubleCount() {
    AttemptCost a = attempt("run-repeat", "1", 1, Outcome.COMPLETED, mini(), gpt4o());
    store.record(a);
    store.record(a);
    store.record(a);
    assertThat(store.steps("run-repeat")).hasSize(2);
    ExecutionTotals t = store.execution("run-repeat").orElseThrow();
    assertThat(t.costUsd()).isEqualByComparingTo("0.00271");
    assertThat(t.usageCount()).isEqualTo(2);
    assertThat(t.counts().inputTokens()).isEqualTo(2_000);
  }

  @Test
  void aRewriteWithFewerLinesRemovesTheOldLinesAndTheirCost() {
    store.record(attempt("run-shrink", "1", 1, Outcome.FAILED, mini(), gpt4o()));
    store.record(attempt("run-shrink", "1", 1, Outcome.COMPLETED, mini()));
    assertThat(store.steps("run-shrink"))
        .singleElement()
        .satisfies(s -> assertThat(s.outcome()).isEqualTo("COMPLETED"));
    assertThat(store.execution("run-shrink").orElseThrow().costUsd())
        .isEqualByComparingTo("0.00021");
  }

  @Test
  void aBatchWithTheSameAttemptTwiceWritesItOnce() {
    store.writeBatch(
        List.of(
            CostStore.rows(attempt("run-batch", "1", 1, Outcome.FAILED, mini(), gpt4o())),
            CostStore.rows(attempt("run-batch", "2", 1, Outcome.COMPLETED, gpt4o())),
            CostStore.rows(attempt("run-batch", "1", 1, Outcome.COMPLETED, mini()))));
    assertThat(store.steps("run-batch")).hasSize(2);
    assertThat(store.execution("run-batch").orElseThrow().costUsd())
        .isEqualByComparingTo("0.00271");
  }

  @Test
  void writersAddToTheirOwnRollupShardsAndTheRollupIsTheirSum() throws Exception {
    DataSource ds = TestDatabase.fresh();
    CostStore first = new CostStore(CostStore.jdbi(ds), 3);
    CostStore second = new CostStore(CostStore.jdbi(ds), 11);
    first.record(attempt("run-shards", "1", 1, Outcome.FAILED, mini(), gpt4o()));
    first.record(attempt("run-shards", "2", 1, Outcome.COMPLETED, gpt4o()));
    // a rewrite by another writer subtracts the old lines in its own shard
    second.record(attempt("run-shards", "1", 1, Outcome.COMPLETED, mini()));
    // two writers at once, each in a transaction of its own
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      CostStore s = i % 2 == 0 ? first : second;
      String activity = "c" + i;
      done.add(
          pool.submit(
              () -> s.record(attempt("run-shards", activity, 1, Outcome.COMPLETED, mini()))));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();

    org.jdbi.v3.core.Jdbi jdbi = CostStore.jdbi(ds);
    List<Integer> shards =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT DISTINCT shard FROM cost_rollup_daily_shard ORDER BY 1")
                    .mapTo(Integer.class)
                    .list());
    List<String> rollupMismatches =
        jdbi.withHandle(
            h -> h.createQuery(PartitionMigrationTest.ROLLUP_MISMATCH).mapTo(String.class).list());
    List<String> totalsMismatches =
        jdbi.withHandle(
            h -> h.createQuery(PartitionMigrationTest.TOTALS_MISMATCH).mapTo(String.class).list());
    Long lines =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT SUM(usage_count) FROM cost_rollup_daily")
                    .mapTo(Long.class)
                    .one());
    assertThat(shards).contains(3, 11);
    assertThat(rollupMismatches).isEmpty();
    assertThat(totalsMismatches).isEmpty();
    assertThat(lines).isEqualTo(42L);

    // closed days are folded into shard 0; a late write goes to its writer's shard again
    java.time.LocalDate tomorrow = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1);
    assertThat(first.foldRollupShards(tomorrow)).isPositive();
    assertThat(first.foldRollupShards(tomorrow)).isZero();
    first.record(attempt("run-shards", "late", 1, Outcome.COMPLETED, gpt4o()));
    List<Integer> afterFold =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT DISTINCT shard FROM cost_rollup_daily_shard ORDER BY 1")
                    .mapTo(Integer.class)
                    .list());
    List<String> mismatchesAfterFold =
        jdbi.withHandle(
            h -> h.createQuery(PartitionMigrationTest.ROLLUP_MISMATCH).mapTo(String.class).list());
    assertThat(afterFold).hasSize(2).contains(0);
    assertThat(mismatchesAfterFold).isEmpty();
  }

  @Test
  void eachAttemptIsItsOwnRowAndAllAreSummed() {
    store.record(attempt("run-retry", "1", 1, Outcome.FAILED, mini()));
    store.record(attempt("run-retry", "1", 2, Outcome.FAILED, mini()));
    store.record(attempt("run-retry", "1", 3, Outcome.COMPLETED, mini()));
    assertThat(store.steps("run-retry")).extracting(StepRow::attempt).containsExactly(1, 2, 3);
    assertThat(store.execution("run-retry").orElseThrow().costUsd())
        .isEqualByComparingTo("0.00063");
  }

  @Test
  void unpricedUsageIsStoredWithItsCountsAndNoCost() {
    store.record(
        attempt(
            "run-unpriced",
            "1",
            1,
            Outcome.COMPLETED,
            mini(),
            Usage.of("acme", "not-a-model").inputTokens(42).build()));
    List<StepRow> rows = store.steps("run-unpriced");
    assertThat(rows.get(1).priced()).isFalse();
    assertThat(rows.get(1).costUsd()).isNull();
    assertThat(rows.get(1).counts().inputTokens()).isEqualTo(42);
    ExecutionTotals t = store.execution("run-unpriced").orElseThrow();
    assertThat(t.unpricedUsageCount()).isEqualTo(1);
    assertThat(t.costUsd()).isEqualByComparingTo("0.00021");
    assertThat(t.counts().inputTokens()).isEqualTo(1_042);
  }

  @Test
  void concurrentAttemptsOfOneRunKeepExactTotals() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Void>> writes = new ArrayList<>();
      for (int activity = 0; activity < 40; activity++) {
        String id = String.valueOf(activity);
        writes.add(
            () -> {
              store.record(attempt("run-parallel", id, 1, Outcome.COMPLETED, mini()));
              store.record(
                  attempt("run-parallel", id, 1, Outcome.COMPLETED, mini())); // redelivered
              return null;
            });
      }
      for (Future<Void> f : pool.invokeAll(writes)) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    ExecutionTotals t = store.execution("run-parallel").orElseThrow();
    assertThat(t.usageCount()).isEqualTo(40);
    assertThat(t.costUsd()).isEqualByComparingTo("0.0084"); // 40 * 0.00021
  }

  @Test
  void textsThatAnArrayLiteralWouldHaveToQuoteAreStoredExactlyAsGiven() throws Exception {
    // the writer binds its column arrays in binary; none of these may be read as syntax
    String odd = "a,b {c} \"d\" \\e NULL\t\n ü €";
    AttemptContext c =
        new AttemptContext(
            "ns, with {braces}",
            "wf \"quoted\" " + odd,
            "Type\\Back",
            "run-odd",
            "NULL",
            "Write, {\"Script\"}",
            1,
            "queue {x}",
            Attempts.T0);
    store.record(
        new AttemptCost(
            c,
            Outcome.COMPLETED,
            List.of(Attempts.priced(mini()), Attempts.priced(gpt4o())),
            java.util.Map.of("tenant", odd, "k,{}", "NULL"),
            Attempts.T0.plusSeconds(1)));
    List<StepRow> rows = store.steps("run-odd");
    assertThat(rows).hasSize(2);
    for (StepRow s : rows) {
      assertThat(s.namespace()).isEqualTo("ns, with {braces}");
      assertThat(s.workflowId()).isEqualTo("wf \"quoted\" " + odd);
      assertThat(s.workflowType()).isEqualTo("Type\\Back");
      assertThat(s.activityId()).isEqualTo("NULL"); // the text, not a missing value
      assertThat(s.activityType()).isEqualTo("Write, {\"Script\"}");
      assertThat(s.taskQueue()).isEqualTo("queue {x}");
      assertThat(JSON.readValue(s.tags(), java.util.Map.class))
          .containsEntry("tenant", odd)
          .containsEntry("k,{}", "NULL");
    }
    ExecutionTotals t = store.execution("run-odd").orElseThrow();
    assertThat(t.costUsd()).isEqualByComparingTo("0.00271");
    assertThat(t.workflowId()).isEqualTo("wf \"quoted\" " + odd);
  }

  @Test
  void stepRowsKeepIdentityCountsBreakdownTagsAndTimes() {
    store.record(
        attempt(
            "run-fields",
            "act-7",
            1,
            Outcome.COMPLETED,
            Usage.of("openai", "gpt-4o-2024-08-06")
                .inputTokens(1_200)
                .outputTokens(300)
                .cacheReadTokens(1_000)
                .build()));
    StepRow s = store.steps("run-fields").get(0);
    assertThat(s.namespace()).isEqualTo("default");
    assertThat(s.workflowId()).isEqualTo("wf-run-fields");
    assertThat(s.workflowType()).isEqualTo("Pipeline");
    assertThat(s.activityId()).isEqualTo("act-7");
    assertThat(s.activityType()).isEqualTo("WriteScript");
    assertThat(s.taskQueue()).isEqualTo("queue");
    assertThat(s.model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(s.pricedModel()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(s.inputCost()).isEqualByComparingTo("0.003");
    assertThat(s.outputCost()).isEqualByComparingTo("0.003");
    assertThat(s.cacheReadCost()).isEqualByComparingTo("0.00125");
    assertThat(s.costUsd()).isEqualByComparingTo("0.00725");
    assertThat(s.tags()).contains("\"tenant\"", "\"acme\"");
    assertThat(s.startedAt()).isEqualTo(Attempts.T0);
    assertThat(s.recordedAt()).isEqualTo(Attempts.T0.plusSeconds(2));
  }

  @Test
  void migrationsAreSafeToRunTwiceAndFromSeveralWorkersAtOnce() throws Exception {
    DataSource db = TestDatabase.empty();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        runs.add(pool.submit(() -> CostSchema.migrate(db)));
      }
      int applied = 0;
      for (Future<Integer> f : runs) {
        applied += f.get();
      }
      assertThat(applied)
          .as("each migration applied by exactly one worker")
          .isEqualTo(CostSchema.migrate(TestDatabase.empty()));
    } finally {
      pool.shutdown();
    }
    assertThat(CostSchema.migrate(db)).isZero();
    CostStore other = new CostStore(CostStore.jdbi(db));
    other.record(attempt("run-migrated", "1", 1, Outcome.COMPLETED, mini()));
    assertThat(other.execution("run-migrated")).isPresent();
  }
}
