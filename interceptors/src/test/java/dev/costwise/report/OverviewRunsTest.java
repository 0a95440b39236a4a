package dev.costwise.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogFormat;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.store.Repricer;
import dev.costwise.store.RunLimits;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * The overview's run count and most expensive runs, read from the runs rollup and the rank table,
 * equal a recomputation from {@code cost_execution} for every filter and range, after retries,
 * rewrites, late attempts, tenant changes, runs refused before any cost, a reprice, concurrent
 * writers, and on a database that held runs before the tables existed.
 */
class OverviewRunsTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static final LocalDate DAY0 = LocalDate.parse("2026-11-10");
  private static final int LIMIT = CostReports.DASHBOARD_RUNS;

  /** Rank rows that differ from their execution rows (both ways); empty when equal. */
  private static final String RANK_MISMATCH =
      """
      WITH e AS (SELECT run_id, first_recorded_at, workflow_type, task_queue,
                        COALESCE(tags ->> 'tenant', '') AS tenant, cost_usd FROM cost_execution),
           k AS (SELECT run_id, first_recorded_at, workflow_type, task_queue, tenant, cost_usd
                   FROM cost_run_rank)
      (SELECT run_id FROM (SELECT * FROM e EXCEPT SELECT * FROM k) a)
      UNION ALL (SELECT run_id FROM (SELECT * FROM k EXCEPT SELECT * FROM e) b)
      """;

  /** Run counts that differ from a recount of the execution rows (both ways); empty when equal. */
  private static final String COUNT_MISMATCH =
      """
      WITH e AS (SELECT (first_recorded_at AT TIME ZONE 'UTC')::date AS day, workflow_type, task_queue,
                        COALESCE(tags ->> 'tenant', '') AS tenant, COUNT(*) AS runs
                   FROM cost_execution GROUP BY 1, 2, 3, 4),
           r AS (SELECT day, workflow_type, task_queue, tenant, SUM(run_count) AS runs
                   FROM cost_runs_daily_shard GROUP BY 1, 2, 3, 4 HAVING SUM(run_count) <> 0)
      (SELECT day::text FROM (SELECT * FROM e EXCEPT SELECT * FROM r) a)
      UNION ALL (SELECT day::text FROM (SELECT * FROM r EXCEPT SELECT * FROM e) b)
      """;

  private static final List<RunFilter> FILTERS =
      List.of(
          RunFilter.NONE,
          new RunFilter("Type0", null, null),
          new RunFilter(null, "q1", null),
          new RunFilter(null, null, "t2"),
          new RunFilter(null, null, "late"),
          new RunFilter("Type1", "q0", null),
          new RunFilter("Type2", null, "t1"),
          new RunFilter(null, "q0", "t3"),
          new RunFilter("Type0", "q1", "t0"),
          new RunFilter("NoSuchType", null, null));

  @Test
  void countAndCostliestRunsEqualARecomputationAfterRetriesRewritesTenantChangesAndAReprice()
      throws Exception {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    CostStore store = new CostStore(jdbi);
    Random random = new Random(14);
    for (int run = 0; run < 60; run++) {
      writeRun(store, run, random);
    }
    // runs refused before anything ran: an execution row and no cost
    for (int run = 0; run < 4; run++) {
      store.openExecution(
          "refused-" + run,
          "default",
          "wf-refused-" + run,
          "Type" + run % 3,
          "q" + run % 2,
          Map.of("tenant", "t" + run),
          null,
          null,
          null,
          RunLimits.NONE,
          at(run % 5, 7));
    }
    // a refused run that later records cost and a tenant
    store.record(attempt("refused-0", "a", 1, Outcome.COMPLETED, at(1, 9), "late", mini(3)));
    // one batch with several runs, one of them new, one moving tenant
    store.writeBatch(
        List.of(
            CostStore.rows(
                attempt("batch-new", "a", 1, Outcome.COMPLETED, at(2, 1), "t1", mini(2))),
            CostStore.rows(attempt("run-5", "z", 1, Outcome.COMPLETED, at(4, 1), "late", mini(1))),
            CostStore.rows(attempt("run-6", "z", 1, Outcome.COMPLETED, at(4, 1), null, mini(1)))));
    assertInStep(jdbi);
    assertOverviewMatchesRecomputation(jdbi);

    // a reprice makes one model cheaper from the first day: run costs fall, the list reorders
    PriceCatalog cheaper =
        CatalogSource.bundledCatalog()
            .overlay(
                CatalogFormat.read(
                    new ByteArrayInputStream(
                        """
                        {"source": "negotiated", "asOf": "2026-11-01", "models": [
                          {"id": "gpt-4o", "provider": "openai", "effectiveFrom": "2026-11-01",
                           "prices": {"inputPerMTok": "0.01"}}]}
                        """
                            .getBytes(StandardCharsets.UTF_8)),
                    "n"));
    List<RunTotal> before =
        reports(jdbi).dashboard(DAY0, DAY0.plusDays(6), RunFilter.NONE).topRuns();
    new Repricer(store)
        .reprice(
            Instant.parse("2026-11-01T00:00:00Z"),
            Instant.parse("2026-12-01T00:00:00Z"),
            cheaper,
            true);
    assertInStep(jdbi);
    assertOverviewMatchesRecomputation(jdbi);
    assertThat(reports(jdbi).dashboard(DAY0, DAY0.plusDays(6), RunFilter.NONE).topRuns())
        .isNotEqualTo(before);

    // writers in parallel, sharing runs and keys
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      int writer = w;
      CostStore own = new CostStore(jdbi);
      done.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 20; i++) {
                  String run = "par-" + (i % 7);
                  own.record(
                      attempt(
                          run,
                          "w" + writer + "-" + i,
                          1,
                          Outcome.COMPLETED,
                          at(i % 3, writer),
                          i % 4 == 0 ? "late" : "t" + (i % 2),
                          mini(1 + writer)));
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertInStep(jdbi);
    assertOverviewMatchesRecomputation(jdbi);
  }

  @Test
  void theWalkFallsBackToTheRangeWhenItFindsTooFewRuns() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    CostStore store = new CostStore(jdbi);
    Random random = new Random(7);
    for (int run = 0; run < 40; run++) {
      writeRun(store, run, random);
    }
    jdbi.useHandle(h -> h.execute("ANALYZE cost_run_rank"));
    LocalDate last = DAY0.plusDays(6);
    for (RunFilter f : FILTERS) {
      List<RunTotal> expected = recomputedTop(jdbi, DAY0, last, f);
      // a walk of 3 entries finds fewer than the list needs whenever more than 3 runs match
      List<RunTotal> bounded =
          jdbi.withExtension(
              ReportDao.class,
              dao -> {
                OverviewRuns runs = new OverviewRuns(dao, 3, 3);
                return runs.top(DAY0, last, f, runs.count(DAY0, last, f), LIMIT);
              });
      List<RunTotal> walked =
          jdbi.withExtension(
              ReportDao.class,
              dao -> {
                OverviewRuns runs = new OverviewRuns(dao, 100_000, 100_000);
                return runs.top(DAY0, last, f, runs.count(DAY0, last, f), LIMIT);
              });
      assertThat(ids(bounded)).as("bounded walk, %s", f).isEqualTo(ids(expected));
      assertThat(ids(walked)).as("full walk, %s", f).isEqualTo(ids(expected));
    }
  }

  @Test
  void runsRecordedBeforeTheTablesExistedAreCountedAndRanked() {
    DataSource ds = TestDatabase.empty();
    Flyway.configure()
        .dataSource(ds)
        .locations("classpath:db/migration/costwise")
        .table(CostSchema.HISTORY_TABLE)
        .target("14")
        .load()
        .migrate();
    Jdbi jdbi = CostStore.jdbi(ds);
    jdbi.useHandle(
        h ->
            h.execute(
                """
                INSERT INTO cost_execution (run_id, namespace, workflow_id, workflow_type, task_queue, tags,
                                            cost_usd, usage_count, first_recorded_at, last_recorded_at)
                SELECT 'old-' || r, 'default', 'wf-old-' || r, 'Type' || (r % 3), 'q' || (r % 2),
                       CASE WHEN r % 5 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('tenant', 't' || (r % 4)) END,
                       ROUND((r % 17) * 0.0123, 4), 1,
                       TIMESTAMPTZ '2026-11-10 00:00:00+00' + r * INTERVAL '2 hours 13 minutes',
                       TIMESTAMPTZ '2026-11-10 00:00:00+00' + r * INTERVAL '2 hours 13 minutes'
                  FROM generate_series(0, 79) r
                """));
    CostSchema.migrate(ds);
    assertThat(query(jdbi, "SELECT count(*) FROM cost_run_rank")).containsExactly("80");
    assertInStep(jdbi);
    assertOverviewMatchesRecomputation(jdbi);

    // the store then keeps them: an old run gains cost and a new tenant, new runs arrive
    CostStore store = new CostStore(jdbi);
    store.record(attempt("old-3", "more", 1, Outcome.COMPLETED, at(0, 2), "late", gpt4o(400)));
    Random random = new Random(3);
    for (int run = 0; run < 10; run++) {
      writeRun(store, run, random);
    }
    assertInStep(jdbi);
    assertOverviewMatchesRecomputation(jdbi);
    assertThat(reports(jdbi).dashboard(DAY0, DAY0, RunFilter.NONE).topRuns().get(0).runId())
        .isEqualTo("old-3");
  }

  /**
   * One run: one to four activities first recorded on day {@code run % 5}, some failing once and
   * retried, some rewritten with less usage, some finishing after midnight, some changing tenant.
   */
  private static void writeRun(CostStore store, int run, Random random) {
    String id = "run-" + run;
    String tenant = run % 5 == 0 ? null : "t" + run % 4;
    int day = run % 5;
    int activities = 1 + random.nextInt(4);
    for (int a = 0; a < activities; a++) {
      // equal usage and start hour for many runs: ties in cost and first record
      int units = 1 + random.nextInt(3);
      Instant at = at(day, a == 0 ? 6 : 6 + a);
      if (random.nextInt(3) == 0) {
        store.record(attempt(id, "act-" + a, 1, Outcome.FAILED, at, tenant, mini(units)));
        store.record(
            attempt(id, "act-" + a, 2, Outcome.COMPLETED, at.plusSeconds(60), tenant, mini(units)));
      } else {
        store.record(attempt(id, "act-" + a, 1, Outcome.COMPLETED, at, tenant, gpt4o(units)));
      }
      if (random.nextInt(4) == 0) { // the same attempt written again with less: a rewrite
        store.record(attempt(id, "act-" + a, 1, Outcome.COMPLETED, at, tenant, mini(1)));
      }
    }
    if (run % 6 == 0) { // a late attempt, after midnight, moving the run to another tenant
      store.record(
          attempt(
              id, "late", 1, Outcome.COMPLETED, at(day + 1, 0).plusSeconds(5), "late", gpt4o(2)));
    }
  }

  private static Instant at(int day, int hour) {
    return DAY0.plusDays(day).atTime(hour, 0).toInstant(java.time.ZoneOffset.UTC);
  }

  private static AttemptCost attempt(
      String run,
      String activity,
      int attempt,
      Outcome outcome,
      Instant started,
      String tenant,
      Usage usage) {
    int n = Math.floorMod(run.hashCode(), 6); // a run's type and queue are its own, always
    AttemptContext c =
        new AttemptContext(
            "default",
            "wf-" + run,
            "Type" + n % 3,
            run,
            activity,
            "Write",
            attempt,
            "q" + n / 3,
            started);
    return new AttemptCost(
        c,
        outcome,
        List.of(new PricedUsage(usage, PRICER.priceLenient(usage))),
        tenant == null ? Map.of() : Map.of("tenant", tenant),
        started.plusSeconds(2));
  }

  private static Usage mini(int units) {
    return Usage.of("openai", "gpt-4o-mini").inputTokens(1_000L * units).outputTokens(100).build();
  }

  private static Usage gpt4o(int units) {
    return Usage.of("openai", "gpt-4o").inputTokens(1_000L * units).build();
  }

  private static CostReports reports(Jdbi jdbi) {
    return new CostReports(jdbi);
  }

  private static void assertInStep(Jdbi jdbi) {
    assertThat(query(jdbi, RANK_MISMATCH)).as("rank rows").isEmpty();
    assertThat(query(jdbi, COUNT_MISMATCH)).as("run counts").isEmpty();
  }

  /** Every filter over single days, several days and the whole week, with fresh statistics. */
  private static void assertOverviewMatchesRecomputation(Jdbi jdbi) {
    jdbi.useHandle(h -> h.execute("ANALYZE cost_run_rank"));
    CostReports reports = reports(jdbi);
    List<LocalDate[]> ranges = new ArrayList<>();
    for (int d = 0; d < 7; d++) {
      ranges.add(new LocalDate[] {DAY0.plusDays(d), DAY0.plusDays(d)});
    }
    ranges.add(new LocalDate[] {DAY0.plusDays(1), DAY0.plusDays(3)});
    ranges.add(new LocalDate[] {DAY0, DAY0.plusDays(6)});
    ranges.add(new LocalDate[] {DAY0.minusDays(30), DAY0.plusDays(30)});
    for (RunFilter f : FILTERS) {
      for (LocalDate[] r : ranges) {
        Dashboard d = reports.dashboard(r[0], r[1], f);
        String what = f + " " + r[0] + ".." + r[1];
        assertThat(d.runCount())
            .as("count, %s", what)
            .isEqualTo(recomputedCount(jdbi, r[0], r[1], f));
        List<RunTotal> expected = recomputedTop(jdbi, r[0], r[1], f);
        assertThat(ids(d.topRuns())).as("top runs, %s", what).isEqualTo(ids(expected));
      }
    }
  }

  private static List<String> ids(List<RunTotal> runs) {
    return runs.stream().map(r -> r.runId() + " " + r.costUsd().stripTrailingZeros()).toList();
  }

  private static long recomputedCount(Jdbi jdbi, LocalDate first, LocalDate last, RunFilter f) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    """
                    SELECT count(*) FROM cost_execution
                     WHERE first_recorded_at >= :from AND first_recorded_at < :to
                       AND (CAST(:wt AS text) IS NULL OR workflow_type = :wt)
                       AND (CAST(:tq AS text) IS NULL OR task_queue = :tq)
                       AND (CAST(:tenant AS text) IS NULL OR tags ->> 'tenant' = :tenant)
                    """)
                .bind("from", midnight(first))
                .bind("to", midnight(last.plusDays(1)))
                .bind("wt", f.workflowType())
                .bind("tq", f.taskQueue())
                .bind("tenant", f.tenant())
                .mapTo(Long.class)
                .one());
  }

  private static List<RunTotal> recomputedTop(
      Jdbi jdbi, LocalDate first, LocalDate last, RunFilter f) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    """
                    SELECT run_id, workflow_id, workflow_type, cost_usd, usage_count, unpriced_usage_count,
                           first_recorded_at, last_recorded_at
                      FROM cost_execution
                     WHERE first_recorded_at >= :from AND first_recorded_at < :to
                       AND (CAST(:wt AS text) IS NULL OR workflow_type = :wt)
                       AND (CAST(:tq AS text) IS NULL OR task_queue = :tq)
                       AND (CAST(:tenant AS text) IS NULL OR tags ->> 'tenant' = :tenant)
                     ORDER BY cost_usd DESC, first_recorded_at DESC, run_id
                     LIMIT :limit
                    """)
                .bind("from", midnight(first))
                .bind("to", midnight(last.plusDays(1)))
                .bind("wt", f.workflowType())
                .bind("tq", f.taskQueue())
                .bind("tenant", f.tenant())
                .bind("limit", LIMIT)
                .map(
                    (rs, ctx) ->
                        new RunTotal(
                            rs.getString("run_id"),
                            rs.getString("workflow_id"),
                            rs.getString("workflow_type"),
                            rs.getBigDecimal("cost_usd"),
                            rs.getLong("usage_count"),
                            rs.getLong("unpriced_usage_count"),
                            rs.getTimestamp("first_recorded_at").toInstant(),
                            rs.getTimestamp("last_recorded_at").toInstant()))
                .list());
  }

  private static Instant midnight(LocalDate d) {
    return d.atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
  }

  private static List<String> query(Jdbi jdbi, String sql) {
    return jdbi.withHandle(h -> h.createQuery(sql).mapTo(String.class).list());
  }
}
