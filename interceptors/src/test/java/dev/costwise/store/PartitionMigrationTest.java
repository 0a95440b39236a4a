package dev.costwise.store;

import static dev.costwise.store.Attempts.gpt4o;
import static dev.costwise.store.Attempts.mini;
import static dev.costwise.store.Attempts.priced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.TestDatabase;
import java.time.Instant;
import java.time.YearMonth;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * Migration V6 on a populated database: every line, execution total and rollup row written under
 * the unpartitioned table survives byte for byte, and the store then writes, rewrites and drops
 * months of the partitioned table with totals and rollups equal to a recomputation from the lines.
 */
class PartitionMigrationTest {

  /** Lines, totals and rollups of an older version, written with plain SQL as that version did. */
  private static final String SEED =
      """
      INSERT INTO cost_execution (run_id, namespace, workflow_id, workflow_type, task_queue, tags,
                                  first_recorded_at, last_recorded_at)
      SELECT 'old-' || r, 'default', 'wf-old-' || r, 'Pipeline', 'queue', '{"tenant":"acme"}',
             TIMESTAMPTZ '2025-06-10 08:00:00+00' + r * INTERVAL '9 days',
             TIMESTAMPTZ '2025-06-10 08:00:00+00' + r * INTERVAL '9 days'
        FROM generate_series(0, 59) r;

      INSERT INTO cost_step (run_id, activity_id, attempt, line_no, namespace, workflow_id, workflow_type,
                             activity_type, task_queue, outcome, provider, model, priced_model,
                             input_tokens, output_tokens, priced, unpriced_reason, cost_usd, input_cost,
                             output_cost, tags, started_at, recorded_at)
      SELECT 'old-' || r, 'act-' || a, 1 + (a % 2), l, 'default', 'wf-old-' || r, 'Pipeline',
             CASE WHEN a % 3 = 0 THEN 'WriteScript' ELSE 'Render' END, 'queue',
             CASE WHEN a = 4 THEN 'FAILED' ELSE 'COMPLETED' END, 'openai',
             CASE WHEN l = 2 THEN 'mystery-model' ELSE 'gpt-4o' END,
             CASE WHEN l = 2 THEN NULL ELSE 'gpt-4o' END,
             1000 * r + a, 10 * l + 7, l < 2,
             CASE WHEN l = 2 THEN 'unknown model' END,
             CASE WHEN l < 2 THEN 0.000001234567890123 * (r + 1) * (a + 1) + l END,
             CASE WHEN l < 2 THEN 0.000001 * (r + 1) END,
             CASE WHEN l < 2 THEN 0.000001234567890123 * (r + 1) * (a + 1) + l - 0.000001 * (r + 1) END,
             jsonb_build_object('tenant', CASE WHEN r % 2 = 0 THEN 'acme' ELSE 'globex' END),
             TIMESTAMPTZ '2025-06-10 08:00:00+00' + r * INTERVAL '9 days' + a * INTERVAL '1 minute',
             TIMESTAMPTZ '2025-06-10 08:00:00+00' + r * INTERVAL '9 days' + a * INTERVAL '1 minute'
                 + INTERVAL '5 seconds'
        FROM generate_series(0, 59) r, generate_series(0, 5) a, generate_series(0, 2) l;

      UPDATE cost_execution e SET
        cost_usd = s.cost_usd, input_tokens = s.input_tokens, output_tokens = s.output_tokens,
        usage_count = s.n, unpriced_usage_count = s.unpriced
        FROM (SELECT run_id, COALESCE(SUM(cost_usd), 0) AS cost_usd, SUM(input_tokens) AS input_tokens,
                     SUM(output_tokens) AS output_tokens, COUNT(*) AS n,
                     COUNT(*) FILTER (WHERE NOT priced) AS unpriced
                FROM cost_step GROUP BY run_id) s
       WHERE e.run_id = s.run_id;

      INSERT INTO cost_rollup_daily
      SELECT (recorded_at AT TIME ZONE 'UTC')::date, provider, COALESCE(priced_model, model), workflow_type,
             activity_type, task_queue, COALESCE(tags ->> 'tenant', ''),
             COALESCE(SUM(cost_usd), 0), COUNT(*), COUNT(*) FILTER (WHERE NOT priced),
             SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens),
             SUM(reasoning_tokens), SUM(images), SUM(video_seconds), SUM(characters), SUM(audio_seconds)
        FROM cost_step
       GROUP BY 1, 2, 3, 4, 5, 6, 7;
      """;

  /**
   * Each table's rows as text, in key order, hashed: equal digests mean equal rows. Columns later
   * versions add (the run tree of V7) are left out, so the digest compares what V5 stored.
   */
  private static final String DIGEST =
      """
      SELECT (SELECT count(*) || ':' || md5(string_agg((to_jsonb(t) - 'root_run_id')::text, '|'
                                                       ORDER BY run_id, activity_id, attempt, line_no))
                FROM cost_step t)
          || ' ' || (SELECT count(*) || ':'
                            || md5(string_agg((to_jsonb(e) - 'parent_run_id' - 'root_run_id' - 'chain_run_id')::text,
                                              '|' ORDER BY run_id))
                       FROM cost_execution e)
          || ' ' || (SELECT count(*) || ':' || md5(string_agg(r::text, '|' ORDER BY r::text)) FROM cost_rollup_daily r)
      """;

  /** Execution totals that differ from the sums over their lines; empty when all agree. */
  static final String TOTALS_MISMATCH =
      """
      SELECT e.run_id FROM cost_execution e
        LEFT JOIN (SELECT run_id, COALESCE(SUM(cost_usd), 0) AS cost_usd, SUM(input_tokens) AS input_tokens,
                          SUM(output_tokens) AS output_tokens, COUNT(*) AS n,
                          COUNT(*) FILTER (WHERE NOT priced) AS unpriced
                     FROM cost_step GROUP BY run_id) s ON s.run_id = e.run_id
       WHERE e.cost_usd <> COALESCE(s.cost_usd, 0) OR e.input_tokens <> COALESCE(s.input_tokens, 0)
          OR e.output_tokens <> COALESCE(s.output_tokens, 0) OR e.usage_count <> COALESCE(s.n, 0)
          OR e.unpriced_usage_count <> COALESCE(s.unpriced, 0)
      """;

  /** Rollup rows that differ from a recomputation over the lines (both ways); empty when equal. */
  static final String ROLLUP_MISMATCH =
      """
      WITH s AS (
        SELECT (recorded_at AT TIME ZONE 'UTC')::date AS day, provider, COALESCE(priced_model, model) AS model,
               workflow_type, activity_type, task_queue, COALESCE(tags ->> 'tenant', '') AS tenant,
               COALESCE(SUM(cost_usd), 0) AS cost_usd, COUNT(*) AS usage_count,
               COUNT(*) FILTER (WHERE NOT priced) AS unpriced_usage_count, SUM(input_tokens) AS input_tokens,
               SUM(output_tokens) AS output_tokens
          FROM cost_step GROUP BY 1, 2, 3, 4, 5, 6, 7),
      r AS (SELECT day, provider, model, workflow_type, activity_type, task_queue, tenant, cost_usd,
                   usage_count, unpriced_usage_count, input_tokens, output_tokens
              FROM cost_rollup_daily WHERE usage_count <> 0)
      (SELECT * FROM s EXCEPT SELECT * FROM r) UNION ALL (SELECT * FROM r EXCEPT SELECT * FROM s)
      """;

  @Test
  void aPopulatedDatabaseKeepsEveryLineTotalAndRollupThenPartitionsWorkAndOldMonthsDrop() {
    DataSource ds = TestDatabase.empty();
    Flyway.configure()
        .dataSource(ds)
        .locations("classpath:db/migration/costwise")
        .table(CostSchema.HISTORY_TABLE)
        .target("5") // the last version before partitioning
        .load()
        .migrate();
    Jdbi jdbi = CostStore.jdbi(ds);
    jdbi.useHandle(h -> h.createScript(SEED).execute());
    String before = jdbi.withHandle(h -> h.createQuery(DIGEST).mapTo(String.class).one());
    assertThat(before).startsWith("1080:");

    Flyway.configure()
        .dataSource(ds)
        .locations("classpath:db/migration/costwise")
        .table(CostSchema.HISTORY_TABLE)
        .target("6") // partitioning alone: later versions add columns, which changes row text
        .load()
        .migrate();

    String after = jdbi.withHandle(h -> h.createQuery(DIGEST).mapTo(String.class).one());
    assertThat(after).isEqualTo(before);
    CostSchema.migrate(ds);
    assertThat(text(jdbi, "SELECT relkind::text FROM pg_class WHERE relname = 'cost_step'"))
        .isEqualTo("p");
    CostStore store = new CostStore(jdbi);
    List<YearMonth> months =
        store.partitions().list().stream().map(StepPartitions.Partition::month).toList();
    // 60 runs nine days apart from June 2025: every month up to the last line, and ahead of now
    assertThat(months).contains(YearMonth.of(2025, 6), YearMonth.of(2026, 12));
    assertThat(months).contains(YearMonth.now(java.time.ZoneOffset.UTC).plusMonths(3));
    assertMatchesRecomputation(jdbi);

    // a migrated attempt rewritten (same start time) replaces its lines, with fewer of them
    StepRow old =
        store.steps("old-3").stream().filter(r -> r.activityId().equals("act-0")).findFirst().get();
    AttemptCost rewrite =
        new AttemptCost(
            new AttemptContext(
                "default",
                "wf-old-3",
                "Pipeline",
                "old-3",
                "act-0",
                "WriteScript",
                old.attempt(),
                "queue",
                old.startedAt()),
            Outcome.COMPLETED,
            List.of(priced(mini())),
            Map.of("tenant", "acme"),
            old.recordedAt());
    store.record(rewrite);
    store.record(rewrite);
    assertThat(
            store.steps("old-3").stream()
                .filter(r -> r.activityId().equals("act-0") && r.attempt() == old.attempt()))
        .hasSize(1);
    // a month far ahead gets its partition when a line lands in it
    AttemptCost later =
        new AttemptCost(
            new AttemptContext(
                "default",
                "wf-new",
                "Pipeline",
                "new-1",
                "act-0",
                "WriteScript",
                1,
                "queue",
                Instant.parse("2031-03-05T12:00:00Z")),
            Outcome.COMPLETED,
            List.of(priced(mini()), priced(gpt4o())),
            Map.of("tenant", "acme"),
            Instant.parse("2031-03-05T12:00:03Z"));
    store.record(later);
    assertThat(store.steps("new-1")).hasSize(2);
    assertThat(store.partitions().list())
        .extracting(StepPartitions.Partition::month)
        .contains(YearMonth.of(2031, 3));
    assertMatchesRecomputation(jdbi);

    // retention: months ending by the cutoff go; totals and rollups stay as they were
    String totals =
        text(jdbi, "SELECT md5(string_agg(e::text, '|' ORDER BY run_id)) FROM cost_execution e");
    String rollups =
        text(
            jdbi, "SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) FROM cost_rollup_daily r");
    List<StepPartitions.Partition> dropped =
        store.partitions().dropEndingBy(Instant.parse("2025-09-15T00:00:00Z"));
    assertThat(dropped)
        .extracting(StepPartitions.Partition::month)
        .containsExactly(YearMonth.of(2025, 6), YearMonth.of(2025, 7), YearMonth.of(2025, 8));
    long left =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT count(*) FROM cost_step WHERE started_at < TIMESTAMPTZ '2025-09-01 00:00:00+00'")
                    .mapTo(Long.class)
                    .one());
    assertThat(left).isZero();
    assertThat(
            text(
                jdbi, "SELECT md5(string_agg(e::text, '|' ORDER BY run_id)) FROM cost_execution e"))
        .isEqualTo(totals);
    assertThat(
            text(
                jdbi,
                "SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) FROM cost_rollup_daily r"))
        .isEqualTo(rollups);
    // a late line for a dropped month is still written (its partition is created again)
    AttemptCost late =
        new AttemptCost(
            new AttemptContext(
                "default",
                "wf-old-1",
                "Pipeline",
                "old-1",
                "act-late",
                "WriteScript",
                1,
                "queue",
                Instant.parse("2025-06-20T08:00:00Z")),
            Outcome.COMPLETED,
            List.of(priced(mini())),
            Map.of("tenant", "globex"),
            Instant.parse("2025-06-20T08:00:05Z"));
    store.record(late);
    assertThat(store.steps("old-1")).extracting(StepRow::activityId).contains("act-late");
  }

  private static void assertMatchesRecomputation(Jdbi jdbi) {
    List<String> totals =
        jdbi.withHandle(h -> h.createQuery(TOTALS_MISMATCH).mapTo(String.class).list());
    assertThat(totals).isEmpty();
    List<Map<String, Object>> rollups =
        jdbi.withHandle(h -> h.createQuery(ROLLUP_MISMATCH).mapToMap().list());
    assertThat(rollups).isEmpty();
  }

  private static String text(Jdbi jdbi, String sql) {
    return jdbi.withHandle(h -> h.createQuery(sql).mapTo(String.class).one());
  }
}
