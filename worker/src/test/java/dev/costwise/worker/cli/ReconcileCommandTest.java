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

/** {@code costwise reconcile}: the gap per model and day, and clear errors for bad files. */
class ReconcileCommandTest {
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
  void printsTheGapPerModelAndDayAndRejectsBadLinesByNumber(@TempDir Path dir) throws Exception {
    DataSource ds = TestDatabase.fresh();
    String url;
    try (Connection c = ds.getConnection()) {
      url = TestDatabase.jdbcUrl(c.getCatalog());
    }
    CostStore store = new CostStore(CostStore.jdbi(ds));
    Instant started = Instant.parse("2026-10-20T08:00:00Z");
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(1_000_000).build(); // $2.50
    store.record(
        new AttemptCost(
            new AttemptContext("default", "wf", "Pipeline", "run-1", "1", "Write", 1, "q", started),
            Outcome.COMPLETED,
            List.of(
                new PricedUsage(u, Pricer.of(CatalogSource.bundledCatalog()).price(u, started))),
            Map.of(),
            started.plusSeconds(1)));
    Path csv = dir.resolve("openai-costs.csv");
    Files.writeString(
        csv,
        """
        Date,Model,Cost_USD,input_tokens
        2026-10-20,gpt-4o-2024-08-06,"2.75",1100000
        2026-10-21,gpt-4o,$1.00,400000
        """);

    assertThat(run(url, "reconcile", "--invoice", csv.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .containsPattern("2026-10-20 +gpt-4o +\\$2.75 +\\$2.5 +\\+\\$0.25")
        .containsPattern("2026-10-21 +gpt-4o +\\$1 +\\$0 +\\+\\$1")
        .containsPattern("total +\\$3.75 +\\$2.5 +\\+\\$1.25");

    Files.writeString(csv, "date,model,cost_usd\n2026-10-20,gpt-4o,1\n2026-10-21,gpt-4o,one\n");
    assertThat(run(url, "reconcile", "--invoice", csv.toString())).isEqualTo(2);
    assertThat(err.toString())
        .contains("openai-costs.csv line 3: cost 'one' is not a decimal number");

    Files.writeString(csv, "when,model,cost_usd\n2026-10-20,gpt-4o,1\n");
    assertThat(run(url, "reconcile", "--invoice", csv.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("line 1: no day column");
  }
}
