package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.worker.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code costwise reprice}: a dry run prints the differences, {@code --apply} writes them once. */
class RepriceCommandTest {
  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  private int run(String url, String... args) {
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

  @Test
  void aDryRunPrintsTheDifferenceAndApplyWritesItOnce(@TempDir Path dir) throws Exception {
    DataSource ds = TestDatabase.fresh();
    String url;
    try (Connection c = ds.getConnection()) {
      url = TestDatabase.jdbcUrl(c.getCatalog());
    }
    CostStore store = new CostStore(CostStore.jdbi(ds));
    Instant started = Instant.parse("2026-10-20T08:00:00Z");
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(1_000_000).build();
    store.record(
        new AttemptCost(
            new AttemptContext(
                "default", "wf-r", "Pipeline", "run-r", "1", "Write", 1, "q", started),
            Outcome.COMPLETED,
            List.of(
                new PricedUsage(u, Pricer.of(CatalogSource.bundledCatalog()).price(u, started))),
            Map.of(),
            started.plusSeconds(1)));
    Path prices = dir.resolve("prices.json");
    Files.writeString(
        prices,
        """
        {"source": "negotiated", "models": [{"id": "gpt-4o", "provider": "openai",
          "prices": {"inputPerMTok": "2", "outputPerMTok": "8"}}]}
        """);

    assertThat(
            run(
                url,
                "reprice",
                "--from",
                "2026-10-01",
                "--to",
                "2026-10-31",
                "--price-file",
                prices.toString()))
        .as(err.toString())
        .isZero();
    assertThat(out.toString())
        .contains("gpt-4o")
        .contains("$2.5")
        .contains("-$0.5")
        .contains("Dry run");
    assertThat(store.execution("run-r").orElseThrow().costUsd()).isEqualByComparingTo("2.5");

    assertThat(
            run(
                url,
                "reprice",
                "--from",
                "2026-10-01",
                "--to",
                "2026-10-31",
                "--price-file",
                prices.toString(),
                "--apply"))
        .isZero();
    assertThat(out.toString()).contains("Applied: 1 line(s) corrected");
    assertThat(store.execution("run-r").orElseThrow().costUsd()).isEqualByComparingTo("2");

    run(
        url,
        "reprice",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--price-file",
        prices.toString(),
        "--apply");
    assertThat(out.toString()).contains("Applied: 0 line(s) corrected");

    assertThat(run(url, "reprice", "--from", "2026-10-31", "--to", "2026-10-01")).isEqualTo(2);
    assertThat(err.toString()).contains("--to must not be before --from");
  }
}
