package dev.costwise.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogFormat;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * Repricing seeded lines: totals and rollups equal a full recomputation afterwards, the old figures
 * and their catalog are kept, and a second run changes nothing.
 */
class RepriceTest {
  private static final Instant DAY1 = Instant.parse("2026-10-05T09:00:00Z");
  private static final Instant DAY2 = Instant.parse("2026-10-20T09:00:00Z");

  /** gpt-4o-mini at a negotiated price from 2026-10-15, and a price for a model unknown before. */
  private static final String NEGOTIATED =
      """
      {"source": "negotiated", "asOf": "2026-10-15", "models": [
        {"id": "gpt-4o-mini", "provider": "openai", "effectiveFrom": "2026-10-15",
         "prices": {"inputPerMTok": "0.10", "outputPerMTok": "0.40"}},
        {"id": "house-model-x", "prices": {"inputPerMTok": "1"}}]}
      """;

  private static AttemptCost attempt(String run, String activity, Instant started, Usage... us) {
    AttemptContext c =
        new AttemptContext(
            "default", "wf-" + run, "Pipeline", run, activity, "Write", 1, "queue", started);
    List<dev.costwise.usage.PricedUsage> lines = new ArrayList<>();
    for (Usage u : us) {
      lines.add(Attempts.priced(u));
    }
    return new AttemptCost(
        c, Outcome.COMPLETED, lines, Map.of("tenant", "acme"), started.plusSeconds(3));
  }

  private static String digest(Jdbi jdbi) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    """
                    SELECT (SELECT md5(string_agg(t::text, '|' ORDER BY run_id, activity_id, attempt, line_no)) FROM cost_step t)
                        || (SELECT md5(string_agg(e::text, '|' ORDER BY run_id)) FROM cost_execution e)
                        || (SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) FROM cost_rollup_daily r)
                    """)
                .mapTo(String.class)
                .one());
  }

  private static List<String> query(Jdbi jdbi, String sql) {
    return jdbi.withHandle(h -> h.createQuery(sql).mapTo(String.class).list());
  }

  @Test
  void applyingMatchesAFullRecomputationAndASecondRunChangesNothing() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    CostStore store = new CostStore(jdbi);
    Usage mini =
        Usage.of("openai", "gpt-4o-mini").inputTokens(1_000_000).outputTokens(1_000_000).build();
    Usage unknown = Usage.of("", "house-model-x").inputTokens(500_000).build();
    Usage gpt4o = Usage.of("openai", "gpt-4o").inputTokens(1_000_000).build();
    store.record(attempt("run-a", "1", DAY1, mini, gpt4o));
    store.record(attempt("run-a", "2", DAY2, mini, unknown));
    store.record(attempt("run-b", "1", DAY2, gpt4o));
    store.record(attempt("run-c", "1", Instant.parse("2026-11-02T00:00:00Z"), mini)); // outside
    assertThat(store.execution("run-a").orElseThrow().costUsd())
        .isEqualByComparingTo("4.0"); // 0.75 + 2.50 + 0.75 (+ unpriced)

    PriceCatalog negotiated =
        CatalogSource.bundledCatalog()
            .overlay(
                CatalogFormat.read(
                    new ByteArrayInputStream(NEGOTIATED.getBytes(StandardCharsets.UTF_8)), "n"));
    Repricer repricer = new Repricer(store);
    Instant from = Instant.parse("2026-10-01T00:00:00Z");
    Instant to = Instant.parse("2026-11-01T00:00:00Z");

    String before = digest(jdbi);
    Repricer.Result dry = repricer.reprice(from, to, negotiated, false);
    assertThat(digest(jdbi)).isEqualTo(before);
    assertThat(dry.lines()).isEqualTo(5);
    assertThat(dry.changed()).isEqualTo(2); // the October 20 mini line and the unknown model
    assertThat(dry.newlyPriced()).isEqualTo(1);
    // mini from Oct 15: 0.10 + 0.40 = 0.50 instead of 0.75; house-model-x: 0.50 where unpriced
    assertThat(dry.difference()).isEqualByComparingTo("0.25");
    assertThat(dry.byModel())
        .filteredOn(m -> m.model().equals("gpt-4o-mini"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.lines()).isEqualTo(2);
              assertThat(m.before()).isEqualByComparingTo("1.50");
              assertThat(m.after()).isEqualByComparingTo("1.25");
            });

    Repricer.Result applied = repricer.reprice(from, to, negotiated, true);
    assertThat(applied.difference()).isEqualByComparingTo(dry.difference());
    assertThat(query(jdbi, PartitionMigrationTest.TOTALS_MISMATCH)).isEmpty();
    assertThat(query(jdbi, PartitionMigrationTest.ROLLUP_MISMATCH)).isEmpty();
    assertThat(store.execution("run-a").orElseThrow().costUsd()).isEqualByComparingTo("4.25");
    assertThat(store.execution("run-a").orElseThrow().unpricedUsageCount()).isZero();
    assertThat(store.execution("run-c").orElseThrow().costUsd()).isEqualByComparingTo("0.75");

    StepRow corrected =
        store.steps("run-a").stream()
            .filter(r -> r.activityId().equals("2") && r.model().equals("gpt-4o-mini"))
            .findFirst()
            .orElseThrow();
    assertThat(corrected.pricedWith().catalog()).isEqualTo(negotiated.version());
    assertThat(corrected.pricedWith().priceEntry()).isEqualTo("gpt-4o-mini@2026-10-15");
    List<String> log =
        query(
            jdbi,
            "SELECT model || ' ' || old_cost_usd::numeric(10,2) || ' ' || old_catalog_hash || ' -> '"
                + " || new_cost_usd::numeric(10,2) || ' ' || new_catalog_hash FROM cost_correction"
                + " WHERE old_priced ORDER BY id");
    String bundledHash = CatalogSource.bundledCatalog().version().hash();
    assertThat(log)
        .containsExactly(
            "gpt-4o-mini 0.75 " + bundledHash + " -> 0.50 " + negotiated.version().hash());

    String afterFirst = digest(jdbi);
    Repricer.Result again = repricer.reprice(from, to, negotiated, true);
    assertThat(again.changed()).isZero();
    assertThat(again.difference()).isEqualByComparingTo(BigDecimal.ZERO);
    assertThat(digest(jdbi)).isEqualTo(afterFirst);
    assertThat(query(jdbi, "SELECT count(*)::text FROM cost_correction")).containsExactly("2");
  }

  /**
   * A worker rewrites an attempt while a reprice of it is under way: the reprice waits for the
   * execution row the rewrite holds, then reads and corrects the rewritten lines. Repricing lines
   * read before the rewrite committed would put the old token counts back.
   */
  @Test
  void aRewriteCommittedWhileARepriceWaitsIsRepricedNotOverwritten() throws Exception {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    CostStore store = new CostStore(jdbi);
    Usage first = Usage.of("openai", "gpt-4o-mini").inputTokens(1_000_000).build();
    store.record(attempt("run-race", "1", DAY2, first));
    PriceCatalog negotiated =
        CatalogSource.bundledCatalog()
            .overlay(
                CatalogFormat.read(
                    new ByteArrayInputStream(NEGOTIATED.getBytes(StandardCharsets.UTF_8)), "n"));
    Usage rewritten = Usage.of("openai", "gpt-4o-mini").inputTokens(2_000_000).build();
    List<StepRow> rewrite = CostStore.rows(attempt("run-race", "1", DAY2, rewritten));

    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newSingleThreadExecutor();
    try (org.jdbi.v3.core.Handle worker = jdbi.open()) {
      worker.begin();
      worker
          .createQuery("SELECT run_id FROM cost_execution WHERE run_id = 'run-race' FOR UPDATE")
          .mapTo(String.class)
          .one();
      java.util.concurrent.Future<Repricer.Result> reprice =
          pool.submit(
              () ->
                  new Repricer(store)
                      .reprice(
                          Instant.parse("2026-10-01T00:00:00Z"),
                          Instant.parse("2026-11-01T00:00:00Z"),
                          negotiated,
                          true));
      awaitLockWait(jdbi, worker);
      CostStore.writeInTransaction(worker, List.of(rewrite)); // the worker's rewrite
      worker.commit();
      Repricer.Result result = reprice.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(result.changed()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }

    StepRow line = store.steps("run-race").get(0);
    assertThat(line.counts().inputTokens()).isEqualTo(2_000_000);
    assertThat(line.costUsd()).isEqualByComparingTo("0.20"); // 2M x 0.10 negotiated
    assertThat(store.execution("run-race").orElseThrow().costUsd()).isEqualByComparingTo("0.20");
    assertThat(store.execution("run-race").orElseThrow().counts().inputTokens())
        .isEqualTo(2_000_000);
    assertThat(query(jdbi, PartitionMigrationTest.TOTALS_MISMATCH)).isEmpty();
    assertThat(query(jdbi, PartitionMigrationTest.ROLLUP_MISMATCH)).isEmpty();
    // the old figure in the log is the rewrite's (2M x 0.15), not the first record's
    assertThat(query(jdbi, "SELECT old_cost_usd::numeric(10,2)::text FROM cost_correction"))
        .containsExactly("0.30");
  }

  /** Waits until another session than {@code holder} waits for a row lock (at most 20 s). */
  private static void awaitLockWait(Jdbi jdbi, org.jdbi.v3.core.Handle holder) {
    int pid = holder.createQuery("SELECT pg_backend_pid()").mapTo(Integer.class).one();
    dev.costwise.testing.Eventually.until(
        "the reprice waits for the execution row",
        java.time.Duration.ofSeconds(20),
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type ="
                                + " 'Lock' AND :pid = ANY(pg_blocking_pids(pid))")
                        .bind("pid", pid)
                        .mapTo(Boolean.class)
                        .one()));
  }
}
