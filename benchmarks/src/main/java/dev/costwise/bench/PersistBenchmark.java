package dev.costwise.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostRecorder;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.store.ResilientRecorder;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Step rows persisted per second into a real (embedded, durable commits) PostgreSQL through a
 * HikariCP pool, as the worker runs it, each a new step of one of {@code runs} executions. {@code
 * direct}: {@link CostStore#record}, one transaction per attempt. {@code grouped}: {@link
 * ResilientRecorder}, as the worker uses it, where concurrent activities share commits; every call
 * still returns only once its step is durable. 32 threads stand for 32 activities finishing at once
 * (a worker runs up to 200 by default). Each activity goes through the recorder as the activity
 * interceptor drives it: its usage is journaled when recorded ({@link CostRecorder#observe}), then
 * the attempt is recorded. The tables hold {@code history} lines of earlier runs, analyzed, before
 * timing starts: a store that has run for a while, not an empty one whose statistics say every
 * table is tiny. Target: at least 10,000 steps per second on 2 cores.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
@Threads(32)
@State(Scope.Benchmark)
public class PersistBenchmark {
  /** Executions the steps are spread over; few runs means more contention on the totals row. */
  @Param({"1000"})
  public int runs;

  /**
   * {@code behind}: the grouped recorder with write-behind, where a call returns once its rows are
   * synced to the local journal and writers batch them into PostgreSQL; once more than four batches
   * wait, calls wait for PostgreSQL again, so the rate measured is what the database sustains.
   */
  @Param({"direct", "grouped", "behind"})
  public String writer;

  /** Writer threads of the grouped recorder (the worker uses {@link ResilientRecorder#WRITERS}). */
  @Param({"2"})
  public int writers;

  /**
   * {@code true} loads {@code pg_stat_statements} and prints, after the trial, where PostgreSQL
   * spent its time per statement (planning and execution, per call and per row).
   */
  @Param({"false"})
  public boolean pgStats;

  /**
   * Above 0: {@code auto_explain} logs the plan, with timings and buffers, of every statement
   * slower than this many milliseconds to {@code explainLog} (the server's own log).
   */
  @Param({"0"})
  public int explainMs;

  /** Where the server's log goes when {@link #explainMs} is set. */
  @Param({"/tmp/costwise-bench-explain.log"})
  public String explainLog;

  /**
   * {@code true}: every 10 steps start a new run (as a live system creates runs all the time);
   * {@code false}: the steps cycle over {@link #runs} runs that exist after the first round.
   */
  @Param({"false", "true"})
  public boolean newRuns;

  /** Lines of earlier runs stored (set-based, with their executions and rollups) before timing. */
  @Param({"200000"})
  public int history;

  /**
   * Days the {@link #history} lines are spread over, one monthly partition of {@code cost_step} per
   * month they touch: 30 is a store just started, 730 one that keeps two years (every write looks
   * up what its attempts already stored, which must not cost more for every month kept).
   */
  @Param({"30"})
  public int historyDays;

  private EmbeddedPostgres postgres;
  private HikariDataSource ds;
  private CostRecorder recorder;
  private Path spool;
  private List<PricedUsage> lines;
  private final AtomicLong sequence = new AtomicLong();

  @Setup(Level.Trial)
  public void start() throws IOException {
    // durable commits, as a production server runs (the embedded default turns them off for tests)
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setServerConfig("fsync", "on")
            .setServerConfig("synchronous_commit", "on");
    if (pgStats) {
      builder
          .setServerConfig("shared_preload_libraries", "pg_stat_statements")
          .setServerConfig("pg_stat_statements.track_planning", "on");
    }
    if (explainMs > 0) {
      builder
          .setServerConfig("session_preload_libraries", "auto_explain")
          .setServerConfig("auto_explain.log_min_duration", explainMs + "ms")
          .setServerConfig("auto_explain.log_analyze", "on")
          .setServerConfig("auto_explain.log_buffers", "on")
          .setServerConfig("auto_explain.log_nested_statements", "on")
          .setOutputRedirector(ProcessBuilder.Redirect.appendTo(new java.io.File(explainLog)))
          .setErrorRedirector(ProcessBuilder.Redirect.appendTo(new java.io.File(explainLog)));
    }
    postgres = builder.start();
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
    pool.addDataSourceProperty("reWriteBatchedInserts", "true");
    pool.setMaximumPoolSize(40);
    ds = new HikariDataSource(pool);
    CostSchema.migrate(ds);
    if (pgStats) {
      try (var c = ds.getConnection();
          var st = c.createStatement()) {
        st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(e);
      }
    }
    seedHistory();
    CostStore store = new CostStore(CostStore.jdbi(ds));
    Pricer pricer = Pricer.of(CatalogSource.bundledCatalog());
    Usage usage = Usage.of("openai", "gpt-4o").inputTokens(1_200).outputTokens(300).build();
    lines = List.of(new PricedUsage(usage, pricer.price(usage)));
    // one write before timing: the statements' first parse and the partitions' check happen here,
    // not in the first batches a 2 s record deadline applies to
    store.record(
        new AttemptCost(
            new AttemptContext(
                "default", "wf-warm", "Bench", "warm", "act-0", "Chat", 1, "bench", Instant.now()),
            Outcome.COMPLETED,
            lines,
            Map.of("tenant", "t0"),
            Instant.now()));
    spool = Files.createTempFile("costwise-bench", ".jsonl");
    recorder =
        writer.equals("direct")
            ? store
            : new ResilientRecorder(
                store,
                spool,
                3,
                Duration.ofMillis(50),
                (a, e, spooled) -> {
                  throw new IllegalStateException("write failed in benchmark", e);
                },
                ResilientRecorder.DEFAULT_MAX_BATCH,
                ResilientRecorder.DEFAULT_MAX_WAIT,
                writers);
    if (recorder instanceof ResilientRecorder r && writer.equals("behind")) {
      r.writeBehind(Duration.ofMillis(20));
    }
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    if (recorder instanceof AutoCloseable c) {
      c.close();
    }
    if (pgStats) {
      printStatementStats();
    }
    ds.close();
    postgres.close();
    Files.deleteIfExists(spool);
  }

  /**
   * Stores {@link #history} lines of 2,000 earlier runs over the last {@link #historyDays} days,
   * with their execution totals and daily rollups, in three set-based statements, then analyzes the
   * tables.
   */
  private void seedHistory() {
    if (history == 0) {
      return;
    }
    String lines =
        """
        INSERT INTO cost_step (run_id, activity_id, attempt, line_no, namespace, workflow_id, workflow_type,
                               activity_type, task_queue, outcome, provider, model, priced_model, input_tokens,
                               output_tokens, priced, cost_usd, input_cost, output_cost, tags, started_at,
                               recorded_at)
        SELECT 'hist-' || (i %% 2000), 'act-' || i, 1, 0, 'default', 'wf-hist-' || (i %% 2000), 'Bench', 'Chat',
               'bench', 'COMPLETED', 'openai', 'gpt-4o', 'gpt-4o', 1200, 300, true, 0.006, 0.003, 0.003,
               jsonb_build_object('tenant', 't' || (i %% 7)), t, t
          FROM generate_series(1, %d) i,
               LATERAL (SELECT now() - interval '1 day' * %d * i / %d AS t) w
        """
            .formatted(history, historyDays, history);
    String executions =
        """
        INSERT INTO cost_execution (run_id, namespace, workflow_id, workflow_type, task_queue,
                                    first_recorded_at, last_recorded_at)
        SELECT 'hist-' || r, 'default', 'wf-hist-' || r, 'Bench', 'bench', now(), now()
          FROM generate_series(0, 1999) r
        """;
    String totals =
        """
        UPDATE cost_execution e
           SET cost_usd = s.cost_usd, input_tokens = s.input_tokens, output_tokens = s.output_tokens,
               usage_count = s.n, first_recorded_at = s.first, last_recorded_at = s.last
          FROM (SELECT run_id, SUM(cost_usd) AS cost_usd, SUM(input_tokens) AS input_tokens,
                       SUM(output_tokens) AS output_tokens, COUNT(*) AS n, MIN(recorded_at) AS first,
                       MAX(recorded_at) AS last
                  FROM cost_step GROUP BY run_id) s
         WHERE e.run_id = s.run_id
        """;
    String rollups =
        """
        INSERT INTO cost_rollup_daily_shard (day, provider, model, workflow_type, activity_type, task_queue,
                                             tenant, cost_usd, usage_count, input_tokens, output_tokens)
        SELECT (recorded_at AT TIME ZONE 'UTC')::date, provider, model, workflow_type, activity_type,
               task_queue, tags ->> 'tenant', SUM(cost_usd), COUNT(*), SUM(input_tokens), SUM(output_tokens)
          FROM cost_step GROUP BY 1, 2, 3, 4, 5, 6, 7
        """;
    try (var c = ds.getConnection();
        var st = c.createStatement()) {
      // months of the history that V6 did not create
      for (int m = 0; m <= historyDays / 28 + 1; m++) {
        java.time.YearMonth month =
            java.time.YearMonth.now(java.time.ZoneOffset.UTC).minusMonths(m);
        st.execute(
            """
            CREATE TABLE IF NOT EXISTS %s PARTITION OF cost_step
               FOR VALUES FROM ('%s 00:00:00+00') TO ('%s 00:00:00+00')
            """
                .formatted(
                    dev.costwise.store.StepPartitions.name(month),
                    month.atDay(1),
                    month.plusMonths(1).atDay(1)));
      }
      st.execute(executions);
      st.execute(lines);
      st.execute(totals);
      st.execute(rollups);
      // the overview's runs rollup and rank rows of the earlier runs, as migration V15 builds them
      st.execute(RunRollupBackfill.RUNS_DAILY);
      st.execute(RunRollupBackfill.RUN_RANK);
      st.execute("VACUUM ANALYZE");
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("cannot seed the history", e);
    }
  }

  private void printStatementStats() throws java.sql.SQLException {
    try (var c = ds.getConnection();
        var st = c.createStatement();
        var rs =
            st.executeQuery(
                """
                SELECT calls, rows, round(total_plan_time::numeric, 0) AS plan_ms,
                       round(total_exec_time::numeric, 0) AS exec_ms,
                       round((1000 * (total_plan_time + total_exec_time) / GREATEST(calls, 1))::numeric, 0)
                         AS us_per_call,
                       round((1000 * (total_plan_time + total_exec_time)
                              / GREATEST(rows, 1))::numeric, 1) AS us_per_row,
                       left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
                  FROM pg_stat_statements
                 ORDER BY total_plan_time + total_exec_time DESC LIMIT 12
                """)) {
      System.out.printf(
          "%n%9s %9s %9s %9s %9s %9s  %s%n",
          "calls", "rows", "plan ms", "exec ms", "us/call", "us/row", "statement");
      while (rs.next()) {
        System.out.printf(
            "%9d %9d %9s %9s %9s %9s  %s%n",
            rs.getLong(1),
            rs.getLong(2),
            rs.getString(3),
            rs.getString(4),
            rs.getString(5),
            rs.getString(6),
            rs.getString(7));
      }
    }
    // heap-only updates touch no index; an update that is not one adds an entry to every index
    try (var c = ds.getConnection();
        var st = c.createStatement();
        var rs =
            st.executeQuery(
                """
                SELECT relname, n_tup_upd, n_tup_hot_upd,
                       round(100.0 * n_tup_hot_upd / GREATEST(n_tup_upd, 1), 1) AS hot_pct
                  FROM pg_stat_user_tables
                 WHERE n_tup_upd > 0 ORDER BY n_tup_upd DESC LIMIT 6
                """)) {
      System.out.printf("%n%-28s %10s %10s %6s%n", "table", "updates", "heap-only", "%");
      while (rs.next()) {
        System.out.printf(
            "%-28s %10d %10d %6s%n",
            rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getString(4));
      }
    }
  }

  @Benchmark
  public void persistOneStep() {
    long n = sequence.incrementAndGet();
    long run = newRuns ? n / 10 : n % runs;
    String runId = "run-" + run;
    AttemptContext ctx =
        new AttemptContext(
            "default",
            "wf-" + runId,
            "Bench",
            runId,
            "act-" + n,
            "Chat",
            1,
            "bench",
            Instant.now());
    Map<String, String> tags = Map.of("tenant", "t" + (run % 7)); // a run has one tenant
    recorder.observe(ctx, tags, Clock.systemUTC()).recorded(0, lines.get(0));
    recorder.record(new AttemptCost(ctx, Outcome.COMPLETED, lines, tags, Instant.now()));
  }
}
