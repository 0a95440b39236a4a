package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code costwise budget} against a real PostgreSQL database, fresh for each test. */
class BudgetCommandTest {
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

  /** Records one HD 1024x1792 DALL-E 3 image ($0.12) for a run tagged tenant=cli-co, now. */
  private void spend(String runId, int images) {
    Usage u = Usage.of("openai", "dall-e-3").images(images, "1024x1792", "hd").build();
    Instant now = Instant.now();
    store.record(
        new AttemptCost(
            new AttemptContext(
                "default", "wf-" + runId, "Storyboard", runId, "1", "Draw", 1, "cli-queue", now),
            Outcome.COMPLETED,
            List.of(
                new PricedUsage(
                    u, new Pricer(CatalogSource::bundledCatalog, false).priceLenient(u))),
            Map.of("tenant", "cli-co"),
            now));
  }

  @Test
  void createListStatusAndDeleteABudget() throws Exception {
    assertThat(
            run(
                "budget",
                "create",
                "--name",
                "cli-co-monthly",
                "--period",
                "monthly",
                "--scope",
                "tag=tenant:cli-co",
                "--limit-usd",
                "1.00",
                "--threshold",
                "80:notify",
                "--threshold",
                "100:block"))
        .as(err.toString())
        .isZero();
    assertThat(out.toString())
        .contains(
            "Created budget cli-co-monthly: monthly $1 for tag=tenant:cli-co, thresholds 80% notify, 100% block");

    assertThat(run("budget", "list")).isZero();
    assertThat(out.toString())
        .contains("cli-co-monthly", "tag=tenant:cli-co", "80% notify, 100% block");

    spend("cli-run-1", 7); // 7 x 0.12 = 0.84
    assertThat(run("budget", "status")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("cli-co-monthly", "0.84", "84.00%", "80%");

    assertThat(run("budget", "status", "--json")).isZero();
    JsonNode status = new ObjectMapper().readTree(out.toString());
    assertThat(status).hasSize(1);
    assertThat(new BigDecimal(status.get(0).get("spentUsd").asText())).isEqualByComparingTo("0.84");
    assertThat(new BigDecimal(status.get(0).get("percent").asText())).isEqualByComparingTo("84");
    assertThat(status.get(0).get("blocking").asBoolean()).isFalse();

    assertThat(run("budget", "delete", "cli-co-monthly")).isZero();
    assertThat(run("budget", "list")).isZero();
    assertThat(out.toString()).contains("No budgets.");
  }

  @Test
  void badInputIsAUsageErrorWithAClearMessage() {
    assertThat(
            run(
                "budget",
                "create",
                "--name",
                "x",
                "--period",
                "yearly",
                "--scope",
                "tag=tenant:x",
                "--limit-usd",
                "1",
                "--threshold",
                "100:block"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("Bad period 'yearly': use daily, weekly or monthly");

    assertThat(
            run(
                "budget",
                "create",
                "--name",
                "x",
                "--period",
                "daily",
                "--scope",
                "tenant",
                "--limit-usd",
                "1",
                "--threshold",
                "100:block"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("use workflow-type=<type>, task-queue=<queue> or tag=<name>:<value>");

    assertThat(run("budget", "delete", "nope")).isEqualTo(2);
    assertThat(err.toString()).contains("No budget named 'nope'");

    assertThat(
            run(
                "budget",
                "create",
                "--name",
                "twice",
                "--period",
                "daily",
                "--scope",
                "task-queue=q",
                "--limit-usd",
                "1",
                "--threshold",
                "100:notify"))
        .isZero();
    assertThat(
            run(
                "budget",
                "create",
                "--name",
                "twice",
                "--period",
                "daily",
                "--scope",
                "task-queue=q",
                "--limit-usd",
                "1",
                "--threshold",
                "100:notify"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("A budget named 'twice' exists");
  }
}
