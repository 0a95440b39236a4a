package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.Outcome;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.worker.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code costwise retention}: whole old months of lines go, totals and rollups stay. */
class RetentionCommandTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private String url;
  private CostStore store;
  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  @BeforeEach
  void database() throws Exception {
    DataSource ds = TestDatabase.fresh();
    try (Connection c = ds.getConnection()) {
      url = TestDatabase.jdbcUrl(c.getCatalog());
    }
    store = new CostStore(CostStore.jdbi(ds));
  }

  private int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] withDb = new String[args.length + 2];
    System.arraycopy(args, 0, withDb, 0, args.length);
    withDb[args.length] = "--database-url";
    withDb[args.length + 1] = url;
    return cli.execute(withDb);
  }

  private void record(String activityId, Instant startedAt) {
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(1_000).outputTokens(100).build();
    store.record(
        new AttemptCost(
            new AttemptContext(
                "default", "wf-r", "Pipeline", "run-r", activityId, "Write", 1, "q", startedAt),
            Outcome.COMPLETED,
            List.of(new PricedUsage(u, PRICER.price(u))),
            Map.of("tenant", "acme"),
            startedAt.plusSeconds(1)));
  }

  @Test
  void dropsWholeMonthsOlderThanKeptAndLeavesTotalsAndRollups() {
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    Instant old = now.minusMonths(20).toInstant();
    Instant recent = now.minusDays(3).toInstant();
    record("old", old);
    record("recent", recent);
    ExecutionTotals before = store.execution("run-r").orElseThrow();

    assertThat(run("retention", "--keep", "13m", "--dry-run")).isEqualTo(0);
    assertThat(out.toString()).contains("Would drop").doesNotContain("Dropped");
    assertThat(store.steps("run-r")).hasSize(2);

    assertThat(run("retention", "--keep", "13m")).isEqualTo(0);
    assertThat(out.toString()).contains("Dropped");
    assertThat(store.steps("run-r")).extracting(r -> r.activityId()).containsExactly("recent");
    ExecutionTotals after = store.execution("run-r").orElseThrow();
    assertThat(after.costUsd()).isEqualByComparingTo(before.costUsd());
    assertThat(after.usageCount()).isEqualTo(2);
    long rollupCount =
        store
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("SELECT COALESCE(SUM(usage_count), 0) FROM cost_rollup_daily")
                        .mapTo(Long.class)
                        .one());
    assertThat(rollupCount).isEqualTo(2);
  }

  @Test
  void aBadPeriodIsAUsageError() {
    assertThat(run("retention", "--keep", "0m")).isEqualTo(2);
    assertThat(run("retention", "--keep", "13 months")).isEqualTo(2);
    assertThat(run("retention")).isEqualTo(2);
  }
}
