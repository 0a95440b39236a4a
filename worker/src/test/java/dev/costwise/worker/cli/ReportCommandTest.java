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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The report and estimate commands against a real PostgreSQL seeded with lines on two days for two
 * tenants: gpt-4o 1000 input tokens = 0.0025 USD, gpt-4o-mini 1000 in + 100 out = 0.00021 USD.
 */
class ReportCommandTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static String url;
  private static Jdbi jdbi;

  private StringWriter out;
  private StringWriter err;

  @BeforeAll
  static void seed() {
    DataSource ds = TestDatabase.fresh();
    jdbi = CostStore.jdbi(ds);
    url =
        TestDatabase.jdbcUrl(
            jdbi.withHandle(
                h -> h.createQuery("SELECT current_database()").mapTo(String.class).one()));
    CostStore store = new CostStore(jdbi);
    store.record(
        attempt(
            "run-1",
            "acme",
            "2026-11-01T10:00:00Z",
            Usage.of("openai", "gpt-4o").inputTokens(1000).build()));
    store.record(
        attempt(
            "run-2",
            "globex, inc.",
            "2026-11-02T10:00:00Z",
            Usage.of("openai", "gpt-4o-mini").inputTokens(1000).outputTokens(100).build(),
            Usage.of("acme-ai", "mystery-1").inputTokens(5).build()));
  }

  static AttemptCost attempt(String runId, String tenant, String at, Usage... usages) {
    Instant t = Instant.parse(at);
    AttemptContext ctx =
        new AttemptContext(
            "default", "wf-" + runId, "Publish", runId, "1", "WriteScript", 1, "costwise", t);
    List<PricedUsage> lines = new ArrayList<>();
    for (Usage u : usages) {
      lines.add(new PricedUsage(u, PRICER.priceLenient(u)));
    }
    return new AttemptCost(ctx, Outcome.COMPLETED, lines, Map.of("tenant", tenant), t);
  }

  @BeforeEach
  void buffers() {
    out = new StringWriter();
    err = new StringWriter();
  }

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--database-url");
    all.add(url);
    return cli.execute(all.toArray(String[]::new));
  }

  @Test
  void monthlyTotalsByTenantAsCsvParse() throws Exception {
    int status =
        run(
            "report",
            "totals",
            "--period",
            "month",
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-01",
            "--group-by",
            "tenant",
            "--format",
            "csv");
    assertThat(status).as(err.toString()).isZero();
    List<List<String>> rows = parseCsv(out.toString());
    assertThat(rows.get(0))
        .startsWith("month", "tenant", "cost_usd", "usage_count", "unpriced_count");
    assertThat(rows).hasSize(3);
    assertThat(rows.get(1)).startsWith("2026-11-01", "acme", "0.0025", "1", "0");
    assertThat(rows.get(2)).startsWith("2026-11-01", "globex, inc.", "0.00021", "2", "1");
  }

  @Test
  void dailyTotalsAsJsonCarryExactDecimals() throws Exception {
    int status =
        run(
            "report",
            "totals",
            "--period",
            "day",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--group-by",
            "none",
            "--format",
            "json");
    assertThat(status).as(err.toString()).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(json).hasSize(2);
    assertThat(json.get(0).get("periodStart").asText()).isEqualTo("2026-11-01");
    assertThat(new BigDecimal(json.get(0).get("costUsd").asText())).isEqualByComparingTo("0.0025");
    assertThat(json.get(1).get("costUsd").asText()).isEqualTo("0.00021");
  }

  @Test
  void topDriversAndUnpricedAsTables() {
    assertThat(
            run(
                "report",
                "top",
                "--from",
                "2026-11-01",
                "--to",
                "2026-12-01",
                "--group-by",
                "model"))
        .isZero();
    assertThat(out.toString().lines().toList().get(0))
        .startsWith("model")
        .contains("cost_usd", "share_percent");
    assertThat(out.toString()).contains("gpt-4o ").contains("92.25"); // 0.0025 / 0.00271
    buffers();
    assertThat(run("report", "unpriced", "--from", "2026-11-01", "--to", "2026-12-01")).isZero();
    assertThat(out.toString()).contains("acme-ai", "mystery-1");
  }

  @Test
  void stepsExportIsCsvWithOneRecordPerLine() throws Exception {
    assertThat(run("report", "steps", "--from", "2026-11-02", "--to", "2026-11-03"))
        .as(err.toString())
        .isZero();
    List<List<String>> rows = parseCsv(out.toString());
    assertThat(rows).hasSize(3);
    assertThat(rows.get(1)).contains("run-2", "globex, inc.", "gpt-4o-mini", "0.00021");
    assertThat(rows.get(2)).contains("mystery-1", "false");
  }

  @Test
  void executionReportShowsTheLinkedEstimateAndVariance(@TempDir Path dir) throws Exception {
    Path plan = dir.resolve("plan.json");
    Files.writeString(
        plan,
        """
        [{"activityType": "WriteScript", "provider": "openai", "model": "gpt-4o", "inputTokens": 500}]
        """);
    assertThat(
            run(
                "estimate",
                "--workflow-type",
                "Publish",
                "--plan",
                plan.toString(),
                "--run-id",
                "run-1"))
        .as(err.toString())
        .isZero();
    assertThat(out.toString())
        .contains("expected   $0.00125 (low $0.0009375, high $0.0015625)", "PLAN");

    buffers();
    assertThat(run("report", "execution", "run-1", "--format", "json")).as(err.toString()).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(json.get("actualUsd").asText()).isEqualTo("0.0025");
    assertThat(json.get("estimatedUsd").asText()).isEqualTo("0.00125");
    assertThat(json.get("varianceUsd").asText()).isEqualTo("0.00125");
    assertThat(json.get("variancePercent").asText()).isEqualTo("100");
    assertThat(json.get("steps").get(0).get("varianceUsd").asText()).isEqualTo("0.00125");

    buffers();
    assertThat(run("report", "execution", "run-1")).isZero();
    assertThat(out.toString()).contains("variance   $0.00125 (100.00%)");
  }

  @Test
  void estimateAcceptsTheWorkflowRequestJsonAndPrintsCsv(@TempDir Path dir) throws Exception {
    Path request = dir.resolve("request.json");
    Files.writeString(
        request,
        """
        {"workflowType": "Publish", "workflowId": "order-7",
         "plan": [{"activityType": "Summarize", "model": "gpt-4o-mini", "inputTokens": 1000, "outputTokens": 100,
                   "repeat": 2, "repeatLow": 1, "repeatHigh": 4}]}
        """);
    assertThat(run("estimate", "--plan", request.toString(), "--format", "csv", "--no-save"))
        .as(err.toString())
        .isZero();
    List<List<String>> rows = parseCsv(out.toString());
    assertThat(rows.get(1))
        .startsWith(
            "Summarize",
            "openai",
            "gpt-4o-mini",
            "PLAN",
            "2",
            "0",
            "0.00021",
            "0.00042",
            "0.00084");
  }

  @Test
  void badInputExitsWithAClearMessage(@TempDir Path dir) throws Exception {
    Path plan = dir.resolve("bad.json");
    Files.writeString(plan, "[{\"activityType\": \"X\"}]");
    assertThat(run("estimate", "--workflow-type", "Publish", "--plan", plan.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("needs a model");
    buffers();
    assertThat(run("estimate", "--workflow-type", "NeverRan")).isEqualTo(2);
    assertThat(err.toString()).contains("Cannot estimate NeverRan", "pass a plan");
    buffers();
    assertThat(run("report", "totals", "--group-by", "colour")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown grouping 'colour'");
    buffers();
    assertThat(run("report", "execution", "no-such-run")).isEqualTo(3);
  }

  /** A small RFC 4180 reader, independent of the writer under test. */
  static List<List<String>> parseCsv(String text) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(field.toString());
        field.setLength(0);
      } else if (c == '\n') {
        row.add(field.toString());
        field.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
      } else if (c != '\r') {
        field.append(c);
      }
    }
    if (field.length() > 0 || !row.isEmpty()) {
      row.add(field.toString());
      rows.add(row);
    }
    return rows;
  }
}
