package dev.costwise.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.estimate.CostEstimator;
import dev.costwise.estimate.Estimate;
import dev.costwise.estimate.EstimateOptions;
import dev.costwise.estimate.EstimateRequest;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.report.CostDriver;
import dev.costwise.report.CostReports;
import dev.costwise.report.Dashboard;
import dev.costwise.report.Dimension;
import dev.costwise.report.Period;
import dev.costwise.report.PeriodTotal;
import dev.costwise.report.RunDetail;
import dev.costwise.report.RunFilter;
import dev.costwise.report.RunTotal;
import dev.costwise.report.UnpricedModel;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;

/**
 * Times period reports over a large cost history: seeds an embedded PostgreSQL with N step rows
 * (default 10 million, one month, 10 lines per run) using set-based {@code INSERT ... SELECT
 * generate_series}, sets each run's totals and first record from its lines, builds the daily rollup
 * from them as four writers' shards would hold it and the overview's runs rollup and rank rows as
 * migration V15 does, then times monthly and daily reports (which read the rollup), the same
 * monthly total computed by scanning {@code cost_step} for comparison, an estimate from history
 * alone, and the dashboard's overview (with its runs read the earlier way, from every run of the
 * range, for comparison) and run page. Calls go through a connection pool so that connection setup
 * is not timed. Not part of the test run:
 *
 * <pre>
 * ./mvnw -Pbenchmarks -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.costwise.bench.ReportBenchmark [rows] [repetitions]
 * </pre>
 */
public final class ReportBenchmark {
  private static final int LINES_PER_RUN = 10;
  private static final int CHUNK = 1_000_000;
  private static final LocalDate MONTH = LocalDate.parse("2026-11-01");

  private ReportBenchmark() {}

  /** Seeds, builds the rollup, and prints timings. */
  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
    int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    try (EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setServerConfig("shared_buffers", "512MB")
            .setServerConfig("work_mem", "64MB")
            .setServerConfig("maintenance_work_mem", "256MB")
            .setServerConfig("max_wal_size", "4GB")
            .setServerConfig("synchronous_commit", "off")
            .start()) {
      CostSchema.migrate(pg.getPostgresDatabase());
      HikariConfig pool = new HikariConfig();
      pool.setDataSource(pg.getPostgresDatabase());
      pool.setMaximumPoolSize(2);
      pool.setConnectionTimeout(600_000);
      HikariDataSource ds = new HikariDataSource(pool);
      Jdbi jdbi = CostStore.jdbi(ds);
      seed(jdbi, rows);
      long t0 = System.nanoTime();
      int rollupRows =
          jdbi.withHandle(
              h ->
                  h.execute(
                      """
          INSERT INTO cost_rollup_daily_shard (day, provider, model, workflow_type, activity_type, task_queue,
                                               tenant, shard, cost_usd, usage_count, unpriced_usage_count,
                                               input_tokens, output_tokens, cache_read_tokens,
                                               cache_write_tokens, reasoning_tokens, images, video_seconds,
                                               characters, audio_seconds)
          SELECT (recorded_at AT TIME ZONE 'UTC')::date, provider, COALESCE(priced_model, model), workflow_type,
                 activity_type, task_queue, COALESCE(tags ->> 'tenant', ''), hashtext(run_id) & 3,
                 COALESCE(SUM(cost_usd), 0), COUNT(*), COUNT(*) FILTER (WHERE NOT priced),
                 SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens),
                 SUM(reasoning_tokens), SUM(images), SUM(video_seconds), SUM(characters), SUM(audio_seconds)
            FROM cost_step
           GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
          """));
      jdbi.useHandle(h -> h.execute("VACUUM ANALYZE cost_rollup_daily_shard"));
      System.out.printf(
          "rollup built: %,d rows in %.1f s%n", rollupRows, (System.nanoTime() - t0) / 1e9);

      CostReports reports = new CostReports(jdbi);
      LocalDate end = MONTH.plusMonths(1);
      List<PeriodTotal> byModel =
          time(
              "monthly totals by model (rollup, 4 shards)",
              repetitions,
              () -> reports.totals(Period.MONTH, MONTH, end, Dimension.MODEL));
      time(
          "monthly totals by tenant (rollup, 4 shards)",
          repetitions,
          () -> reports.totals(Period.MONTH, MONTH, end, Dimension.TENANT));
      time(
          "daily totals by workflow type (rollup, 4 shards)",
          repetitions,
          () -> reports.totals(Period.DAY, MONTH, end, Dimension.WORKFLOW_TYPE));
      List<CostDriver> top =
          time(
              "top 10 activity types (rollup, 4 shards)",
              repetitions,
              () -> reports.topDrivers(MONTH, end, Dimension.ACTIVITY_TYPE, 10));
      time(
          "unpriced per model (rollup, 4 shards)", repetitions, () -> reports.unpriced(MONTH, end));
      // past days folded into one shard, as a running worker does once a day
      long f0 = System.nanoTime();
      int folded = new CostStore(jdbi).foldRollupShards(end);
      jdbi.useHandle(h -> h.execute("VACUUM ANALYZE cost_rollup_daily_shard"));
      System.out.printf(
          "folded %,d shard rows into one per key in %.1f s%n",
          folded, (System.nanoTime() - f0) / 1e9);
      time(
          "monthly totals by model (rollup, folded)",
          repetitions,
          () -> reports.totals(Period.MONTH, MONTH, end, Dimension.MODEL));
      time(
          "monthly totals by tenant (rollup, folded)",
          repetitions,
          () -> reports.totals(Period.MONTH, MONTH, end, Dimension.TENANT));
      time(
          "daily totals by workflow type (rollup, folded)",
          repetitions,
          () -> reports.totals(Period.DAY, MONTH, end, Dimension.WORKFLOW_TYPE));
      time(
          "top 10 activity types (rollup, folded)",
          repetitions,
          () -> reports.topDrivers(MONTH, end, Dimension.ACTIVITY_TYPE, 10));
      time("unpriced per model (rollup, folded)", repetitions, () -> reports.unpriced(MONTH, end));
      // per-run reads: a different run each time, so no repetition is served from a warm page
      long[] run = {12_345};
      time(
          "one run's report: totals, steps, estimate (by key)",
          repetitions,
          () -> reports.execution("run-" + (run[0] += 7_919) % (rows / LINES_PER_RUN)));
      time(
          "one run's lines (by key)",
          repetitions,
          () -> reports.executionLines("run-" + (run[0] += 7_919) % (rows / LINES_PER_RUN)));

      BigDecimal scanned =
          time(
              "monthly total by scanning cost_step (for comparison)",
              Math.min(repetitions, 2),
              () ->
                  jdbi.withHandle(
                      h ->
                          h.createQuery(
                                  "SELECT SUM(cost_usd) FROM cost_step WHERE recorded_at >= :from AND recorded_at < :to")
                              .bind(
                                  "from", MONTH.atStartOfDay(java.time.ZoneOffset.UTC).toInstant())
                              .bind("to", end.atStartOfDay(java.time.ZoneOffset.UTC).toInstant())
                              .mapTo(BigDecimal.class)
                              .one()));
      // Estimate from history alone: percentiles over the 2 million lines of one workflow type.
      CostEstimator estimator =
          new CostEstimator(
              jdbi,
              Pricer.of(CatalogSource.bundledCatalog()),
              EstimateOptions.DEFAULTS,
              Map.of(),
              Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
      Estimate estimate =
          time(
              "estimate Workflow0 from history (2M lines, p10/p50/p90)",
              Math.min(repetitions, 3),
              () -> estimator.estimate(EstimateRequest.of("Workflow0")));
      System.out.printf(
          "estimate: %d steps, expected %s%n",
          estimate.steps().size(), estimate.expectedUsd().toPlainString());
      BigDecimal fromRollup =
          byModel.stream().map(PeriodTotal::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
      System.out.printf(
          "check: rollup month total %s, scanned %s, equal: %s; top driver %s%n",
          fromRollup.toPlainString(),
          scanned.toPlainString(),
          fromRollup.compareTo(scanned) == 0,
          top.isEmpty() ? "-" : top.get(0).group());
      // The dashboard's overview and run page: every run of the seed is first recorded in the
      // month, so the run list reads all of them (the worst case for the range index).
      jdbi.useHandle(
          h ->
              h.execute(
                  """
          UPDATE cost_execution SET parent_run_id = 'run-0', root_run_id = 'run-0'
           WHERE run_id IN (SELECT 'run-' || r FROM generate_series(1, 50) AS r)
          """));
      LocalDate last = end.minusDays(1);
      // the overview's run count and costliest runs as computed before the runs rollup and rank
      // table, from every run of the range, for comparison on the same data
      time(
          "overview runs by reading every run, the month (for comparison)",
          repetitions,
          () -> scannedOverviewRuns(jdbi, MONTH, end, null, null, null));
      time(
          "overview runs by reading every run, one tenant (for comparison)",
          repetitions,
          () -> scannedOverviewRuns(jdbi, MONTH, end, null, null, "tenant-3"));
      Dashboard month =
          time(
              "dashboard overview, the month",
              repetitions,
              () -> reports.dashboard(MONTH, last, RunFilter.NONE));
      time(
          "dashboard overview, the month, one tenant",
          repetitions,
          () -> reports.dashboard(MONTH, last, new RunFilter(null, null, "tenant-3")));
      time(
          "dashboard overview, the month, one workflow type",
          repetitions,
          () -> reports.dashboard(MONTH, last, new RunFilter("Workflow2", null, null)));
      time(
          "dashboard overview, the month, one task queue",
          repetitions,
          () -> reports.dashboard(MONTH, last, new RunFilter(null, "queue-1", null)));
      time(
          "dashboard overview, the month, type + queue + tenant",
          repetitions,
          () -> reports.dashboard(MONTH, last, new RunFilter("Workflow1", "queue-1", "tenant-1")));
      time(
          "dashboard overview, one day",
          repetitions,
          () -> reports.dashboard(MONTH.plusDays(9), MONTH.plusDays(9), RunFilter.NONE));
      time(
          "dashboard overview, one day, one tenant",
          repetitions,
          () ->
              reports.dashboard(
                  MONTH.plusDays(9), MONTH.plusDays(9), new RunFilter(null, null, "tenant-7")));
      time(
          "dashboard filter values, the month (3 dimensions)",
          repetitions,
          () -> reports.filterValues(MONTH, last));
      List<RunTotal> scannedTop = scannedOverviewRuns(jdbi, MONTH, end, null, null, null);
      System.out.printf(
          "overview check: %,d runs, top run %s; equal to reading every run: %s%n",
          month.runCount(),
          month.topRuns().isEmpty() ? "-" : month.topRuns().get(0).runId(),
          month.topRuns().stream()
              .map(RunTotal::runId)
              .toList()
              .equals(scannedTop.stream().map(RunTotal::runId).toList()));
      List<UnpricedModel> unpricedModels =
          time(
              "unpriced models with first seen (partial index)",
              repetitions,
              () ->
                  reports.unpricedModels(
                      MONTH.atStartOfDay(ZoneOffset.UTC).toInstant(),
                      end.atStartOfDay(ZoneOffset.UTC).toInstant(),
                      RunFilter.NONE));
      RunDetail tree =
          time(
              "run page: a run with 50 children",
              repetitions,
              () -> reports.runDetail("run-0").orElseThrow());
      time(
          "run page: an ordinary run",
          repetitions,
          () -> reports.runDetail("run-" + rows / LINES_PER_RUN / 2).orElseThrow());
      System.out.printf(
          "run page check: %d attempts, %d children; %d unpriced models%n",
          tree.attempts().size(), tree.children().size(), unpricedModels.size());
      ds.close();
    }
  }

  /** The pre-V15 overview queries: count and top runs over every run of the range. */
  private static List<RunTotal> scannedOverviewRuns(
      Jdbi jdbi, LocalDate from, LocalDate to, String type, String queue, String tenant) {
    Instant a = from.atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant b = to.atStartOfDay(ZoneOffset.UTC).toInstant();
    String where =
        """
         WHERE first_recorded_at >= :from AND first_recorded_at < :to
           AND (CAST(:workflowType AS text) IS NULL OR workflow_type = :workflowType)
           AND (CAST(:taskQueue AS text) IS NULL OR task_queue = :taskQueue)
           AND (CAST(:tenant AS text) IS NULL OR tags ->> 'tenant' = :tenant)
        """;
    return jdbi.withHandle(
        h -> {
          h.createQuery("SELECT COUNT(*) FROM cost_execution" + where)
              .bind("from", a)
              .bind("to", b)
              .bind("workflowType", type)
              .bind("taskQueue", queue)
              .bind("tenant", tenant)
              .mapTo(Long.class)
              .one();
          return h.createQuery(
                  "SELECT run_id, workflow_id, workflow_type, cost_usd, usage_count,"
                      + " unpriced_usage_count, first_recorded_at, last_recorded_at"
                      + " FROM cost_execution"
                      + where
                      + " ORDER BY cost_usd DESC, first_recorded_at DESC, run_id LIMIT 10")
              .bind("from", a)
              .bind("to", b)
              .bind("workflowType", type)
              .bind("taskQueue", queue)
              .bind("tenant", tenant)
              .map(
                  (rs, ctx) ->
                      new RunTotal(
                          rs.getString(1),
                          rs.getString(2),
                          rs.getString(3),
                          rs.getBigDecimal(4),
                          rs.getLong(5),
                          rs.getLong(6),
                          rs.getTimestamp(7).toInstant(),
                          rs.getTimestamp(8).toInstant()))
              .list();
        });
  }

  private static void seed(Jdbi jdbi, long rows) {
    long runs = (rows + LINES_PER_RUN - 1) / LINES_PER_RUN;
    long t0 = System.nanoTime();
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    """
            INSERT INTO cost_execution (run_id, namespace, workflow_id, workflow_type, task_queue, tags,
                                        first_recorded_at, last_recorded_at)
            SELECT 'run-' || r, 'default', 'wf-' || r, 'Workflow' || (r % 5), 'queue-' || (r % 3),
                   jsonb_build_object('tenant', 'tenant-' || (r % 20)), TIMESTAMPTZ '2026-11-01 00:00:00+00',
                   TIMESTAMPTZ '2026-11-01 00:00:00+00'
              FROM generate_series(0, :runs - 1) AS r
            """)
                .bind("runs", runs)
                .execute());
    for (long start = 0; start < rows; start += CHUNK) {
      long from = start;
      long to = Math.min(rows, start + CHUNK);
      // Row i: run i / 10, its (i % 10)th line; 6 models over 3 providers; 1 line in 1000 unpriced;
      // recorded_at spread over the 30 days of November 2026.
      jdbi.useHandle(
          h ->
              h.createUpdate(
                      """
              INSERT INTO cost_step (run_id, activity_id, attempt, line_no, namespace, workflow_id, workflow_type,
                                     activity_type, task_queue, outcome, provider, model, priced_model, input_tokens,
                                     output_tokens, priced, unpriced_reason, cost_usd, input_cost, output_cost, tags,
                                     started_at, recorded_at)
              SELECT 'run-' || (i / 10), 'act-' || (i % 10), 1, 0, 'default', 'wf-' || (i / 10),
                     'Workflow' || ((i / 10) % 5), 'Activity' || (i % 8), 'queue-' || ((i / 10) % 3), 'COMPLETED',
                     'provider-' || (i % 3), 'model-' || (i % 6),
                     CASE WHEN i % 1000 = 0 THEN NULL ELSE 'model-' || (i % 6) END,
                     i % 5000, i % 700, i % 1000 <> 0,
                     CASE WHEN i % 1000 = 0 THEN 'unknown model' END,
                     CASE WHEN i % 1000 = 0 THEN NULL ELSE (i % 5000) * 0.0000025 + (i % 700) * 0.00001 END,
                     CASE WHEN i % 1000 = 0 THEN NULL ELSE (i % 5000) * 0.0000025 END,
                     CASE WHEN i % 1000 = 0 THEN NULL ELSE (i % 700) * 0.00001 END,
                     jsonb_build_object('tenant', 'tenant-' || ((i / 10) % 20)),
                     TIMESTAMPTZ '2026-11-01 00:00:00+00' + ((i * 2591) % 2592000) * INTERVAL '1 second',
                     TIMESTAMPTZ '2026-11-01 00:00:00+00' + ((i * 2591) % 2592000) * INTERVAL '1 second'
                FROM generate_series(:from, :to - 1) AS i
              """)
                  .bind("from", from)
                  .bind("to", to)
                  .execute());
      System.out.printf(
          "seeded %,d / %,d step rows (%.0f s)%n", to, rows, (System.nanoTime() - t0) / 1e9);
    }
    jdbi.useHandle(h -> h.execute("VACUUM ANALYZE cost_step"));
    // the runs' totals and first record from their lines, then the overview's runs rollup and rank
    // rows from the runs, as migration V15 builds them from the runs already recorded
    long t1 = System.nanoTime();
    jdbi.useHandle(
        h -> {
          h.execute(
              """
              UPDATE cost_execution e SET cost_usd = s.cost_usd, usage_count = s.n, unpriced_usage_count = s.unpriced,
                     input_tokens = s.input_tokens, output_tokens = s.output_tokens,
                     first_recorded_at = s.first, last_recorded_at = s.last
                FROM (SELECT run_id, COALESCE(SUM(cost_usd), 0) AS cost_usd, COUNT(*) AS n,
                             COUNT(*) FILTER (WHERE NOT priced) AS unpriced, SUM(input_tokens) AS input_tokens,
                             SUM(output_tokens) AS output_tokens, MIN(recorded_at) AS first,
                             MAX(recorded_at) AS last
                        FROM cost_step GROUP BY run_id) s
               WHERE e.run_id = s.run_id
              """);
          h.execute("VACUUM ANALYZE cost_execution");
          h.execute(RunRollupBackfill.RUNS_DAILY);
          h.execute(RunRollupBackfill.RUN_RANK);
          h.execute("VACUUM ANALYZE cost_runs_daily_shard");
          h.execute("VACUUM ANALYZE cost_run_rank");
        });
    System.out.printf(
        "run totals, runs rollup and rank rows built in %.0f s%n", (System.nanoTime() - t1) / 1e9);
    String size =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT pg_size_pretty(SUM(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = CAST('cost_step' AS regclass)")
                    .mapTo(String.class)
                    .one());
    System.out.printf(
        "seeded %,d step rows in %,d runs in %.0f s; cost_step is %s%n",
        rows, runs, (System.nanoTime() - t0) / 1e9, size);
  }

  private static <T> T time(String what, int repetitions, Supplier<T> body) {
    T result = body.get(); // warm-up
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < repetitions; i++) {
      long t0 = System.nanoTime();
      result = body.get();
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    Collections.sort(ms);
    System.out.printf(
        "%-55s median %8.1f ms  (min %.1f, max %.1f, %d runs)%n",
        what, ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() - 1), repetitions);
    return result;
  }
}
