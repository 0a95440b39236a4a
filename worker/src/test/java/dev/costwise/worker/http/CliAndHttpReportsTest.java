package dev.costwise.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.report.CostReports;
import dev.costwise.report.GroupBy;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The CLI and the HTTP API over the same data: one steps CSV (same header, same rows, byte for
 * byte), one group-by vocabulary with both spellings and one error message. The HTTP server runs on
 * a plain {@link HttpBackend}, no worker.
 */
class CliAndHttpReportsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static String url;
  private static HttpApi api;

  @BeforeAll
  static void seed() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    url =
        TestDatabase.jdbcUrl(
            jdbi.withHandle(
                h -> h.createQuery("SELECT current_database()").mapTo(String.class).one()));
    CostStore store = new CostStore(jdbi);
    store.record(
        attempt(
            "run-1",
            "2026-11-01T10:00:00.123456Z",
            Map.of("tenant", "acme, inc.", "team", "=cmd"),
            Usage.of("openai", "gpt-4o").inputTokens(1000).build(),
            Usage.of("acme-ai", "\"quoted\"model").inputTokens(5).build()));
    store.record(
        attempt(
            "run-2",
            "2026-11-02T23:59:59Z",
            Map.of(),
            Usage.of("openai", "gpt-image-1").images(2, "1024x1024", "high").build(),
            Usage.of("google", "veo-3.0-fast-generate-001")
                .videoSeconds(new BigDecimal("8"), true)
                .build()));
    store.record(
        attempt(
            "run-3",
            "2026-11-03T00:00:00Z",
            Map.of("tenant", "later"),
            Usage.of("openai", "gpt-4o").inputTokens(1).build()));
    api = HttpApi.start(new StoreBackend(new CostReports(jdbi)));
  }

  @AfterAll
  static void stop() {
    if (api != null) {
      api.close();
    }
  }

  private static AttemptCost attempt(
      String runId, String at, Map<String, String> tags, Usage... usages) {
    Instant t = Instant.parse(at);
    AttemptContext ctx =
        new AttemptContext(
            "default",
            "wf-" + runId,
            "Publish",
            runId,
            "1",
            "WriteScript",
            1,
            "costwise",
            t.minusSeconds(2));
    List<PricedUsage> lines = new ArrayList<>();
    for (Usage u : usages) {
      lines.add(new PricedUsage(u, PRICER.priceLenient(u)));
    }
    return new AttemptCost(ctx, Outcome.COMPLETED, lines, tags, t);
  }

  @Test
  void theCliStepsCsvAndApiStepsCsvAreTheSameBytes() throws Exception {
    Cli cli = cli("report", "steps", "--from", "2026-11-01", "--to", "2026-11-03");
    assertThat(cli.status()).as(cli.err()).isZero();
    HttpResponse<String> http = get("/api/steps.csv?from=2026-11-01&to=2026-11-02");
    assertThat(http.statusCode()).isEqualTo(200);
    assertThat(http.body()).isEqualTo(cli.out());

    List<List<String>> rows = HttpApiTest.parseCsv(http.body());
    assertThat(rows.get(0)).isEqualTo(CostReports.STEP_CSV_COLUMNS);
    assertThat(rows).hasSize(5); // header, four lines; run-3 is after the range
    List<String> header = rows.get(0);
    List<String> first = rows.get(1);
    assertThat(first.get(header.indexOf("recorded_at"))).isEqualTo("2026-11-01T10:00:00.123456Z");
    assertThat(first.get(header.indexOf("started_at"))).isEqualTo("2026-11-01T09:59:58.123456Z");
    assertThat(first.get(header.indexOf("tenant"))).isEqualTo("acme, inc.");
    assertThat(first.get(header.indexOf("tags"))).contains("\"team\": \"=cmd\"");
    assertThat(first.get(header.indexOf("cost_usd"))).isEqualTo("0.0025");
    assertThat(rows.get(2).get(header.indexOf("model"))).isEqualTo("\"quoted\"model");
    assertThat(rows.get(2).get(header.indexOf("priced"))).isEqualTo("false");
    assertThat(rows.get(3).get(header.indexOf("image_size"))).isEqualTo("1024x1024");
    assertThat(rows.get(4).get(header.indexOf("video_with_audio"))).isEqualTo("true");
    assertThat(rows.get(4).get(header.indexOf("video_seconds"))).isEqualTo("8");
  }

  @Test
  void bothSpellingsGroupTheSameOnBothSides() throws Exception {
    JsonNode underscore =
        JSON.readTree(
            get("/api/totals?groupBy=workflow_type&from=2026-11-01&to=2026-11-02").body());
    JsonNode hyphen =
        JSON.readTree(
            get("/api/totals?groupBy=workflow-type&from=2026-11-01&to=2026-11-02").body());
    assertThat(hyphen).isEqualTo(underscore);
    assertThat(hyphen.path("groupBy").asText()).isEqualTo("workflow_type");

    // the CLI's vocabulary over HTTP, and the API's over the CLI
    JsonNode tenant =
        JSON.readTree(
            get("/api/totals?groupBy=tenant&period=month&from=2026-11-01&to=2026-11-02").body());
    List<String> tenants = new ArrayList<>();
    tenant.path("totals").forEach(t -> tenants.add(t.path("group").asText()));
    assertThat(tenants).containsExactlyInAnyOrder("acme, inc.", "");
    for (String groupBy : List.of("workflow_type", "namespace", "tag:team", "TASK-QUEUE")) {
      Cli cli =
          cli(
              "report",
              "totals",
              "--group-by",
              groupBy,
              "--from",
              "2026-11-01",
              "--to",
              "2026-11-03",
              "--format",
              "csv");
      assertThat(cli.status()).as(groupBy + ": " + cli.err()).isZero();
    }
    Cli team =
        cli(
            "report",
            "top",
            "--group-by",
            "tag:team",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--format",
            "csv");
    assertThat(team.status()).as(team.err()).isZero();
    assertThat(HttpApiTest.parseCsv(team.out()).get(0)).startsWith("tag:team", "cost_usd");
    assertThat(team.out()).contains("'=cmd", "(none)");
  }

  @Test
  void aBadGroupingIsTheSameMessageOnBothSides() throws Exception {
    String message = "Unknown grouping 'colour'; use one of " + GroupBy.CHOICES;
    HttpResponse<String> http = get("/api/totals?groupBy=colour");
    assertThat(http.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(http.body()).path("error").asText()).isEqualTo(message);
    Cli cli = cli("report", "totals", "--group-by", "colour");
    assertThat(cli.status()).isEqualTo(2);
    assertThat(cli.err()).contains(message);
  }

  private record Cli(int status, String out, String err) {}

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--database-url");
    all.add(url);
    int status = cli.execute(all.toArray(String[]::new));
    return new Cli(status, out.toString(), err.toString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
