package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.store.ResilientRecorder;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.worker.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code costwise rejected}: records PostgreSQL refused are listed and resolved by an operator. */
class RejectedCommandTest {
  @TempDir Path dir;
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

  @Test
  void aRejectedRecordIsListedWithItsReasonAndCostUntilResolved() {
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(1_000).build();
    try (ResilientRecorder recorder =
        new ResilientRecorder(
            store, dir.resolve("cost-spool.jsonl"), 3, Duration.ofMillis(10), (a, e, s) -> {})) {
      recorder.record(
          new AttemptCost(
              new AttemptContext(
                  "default", "wf-nul", "Publish", "run-nul", "1", "Write", 1, "q", Instant.now()),
              Outcome.COMPLETED,
              List.of(new PricedUsage(u, Pricer.of(CatalogSource.bundledCatalog()).price(u))),
              Map.of("tenant", "acme\u0000"),
              Instant.now()));
    }

    assertThat(run("rejected", "list")).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("run run-nul activity 1 attempt 1", "$0.0025", "UNRESOLVED")
        .contains("[22P05]");
    assertThat(run("rejected", "list", "--original")).isZero();
    assertThat(out.toString()).contains("acme\\\\u0000");

    assertThat(run("rejected", "resolve")).isEqualTo(2);
    assertThat(err.toString()).contains("give the ids to resolve, or --all");
    assertThat(run("rejected", "resolve", "--all")).isZero();
    assertThat(out.toString()).contains("Resolved 1 rejected cost record(s).");
    assertThat(store.unresolvedRejected()).isZero();
    assertThat(run("rejected", "list")).isZero();
    assertThat(out.toString()).contains("resolved ").doesNotContain("UNRESOLVED");
  }
}
