package dev.costwise.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.budget.BudgetAlert;
import dev.costwise.budget.BudgetCheckRequest;
import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.BudgetRefusal;
import dev.costwise.budget.Budgets;
import dev.costwise.budget.ExecutionLimits;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.report.CostReports;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The overview's over-budget list has one row per run: a run that crossed its hard limit and was
 * then refused an activity shows the spend at the crossing, its final spend and the refusal, with
 * alerts stored by the budget service's own paths and read back through the HTTP API.
 */
class OverBudgetListTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static final ExecutionLimits HARD = ExecutionLimits.of(null, "0.50");
  private static HttpApi api;
  private static CostStore store;
  private static Budgets budgets;

  @BeforeAll
  static void start() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    store = new CostStore(jdbi);
    budgets = new Budgets(jdbi);
    api = HttpApi.start(new StoreBackend(new CostReports(jdbi), budgets));
  }

  @AfterAll
  static void stop() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void aRunThatCrossedItsLimitAndWasRefusedIsOneRowWithBoth() throws Exception {
    // 240k input tokens of gpt-4o: $0.60, past the $0.50 hard limit; the check stores the crossing
    spend("both", "1", 240_000);
    budgets.check(check("both"));
    spend("both", "2", 100_000); // $0.25 more, already running when the crossing was seen
    budgets.policy().refused(refusal("both", "0.85"));
    // a run refused before it spent anything, and one that only crossed
    budgets.policy().refused(refusal("only-refused", "0"));
    spend("only-crossed", "1", 300_000);
    budgets.check(check("only-crossed"));
    assertThat(budgets.alerts().stream().filter(a -> a.runId().equals("run-both")))
        .extracting(BudgetAlert::threshold)
        .containsExactlyInAnyOrder("hard", "refused:hard");

    JsonNode rows = JSON.readTree(get("/api/dashboard")).path("overBudget");
    assertThat(rows.findValuesAsText("runId"))
        .as("one row per run")
        .containsExactlyInAnyOrder("run-both", "run-only-refused", "run-only-crossed");
    JsonNode both = row(rows, "run-both");
    assertThat(both.path("crossed").asBoolean()).isTrue();
    assertThat(both.path("refused").asBoolean()).isTrue();
    assertThat(both.path("alerts").asInt()).isEqualTo(2);
    assertThat(both.path("level").asText()).isEqualTo("EXCEEDED");
    assertThat(new BigDecimal(both.path("spentAtCrossingUsd").asText()))
        .as("the spend when the limit was crossed")
        .isEqualByComparingTo("0.60");
    assertThat(new BigDecimal(both.path("finalUsd").asText()))
        .as("the run's final spend")
        .isEqualByComparingTo("0.85");
    assertThat(both.path("refusedActivityType").asText()).isEqualTo("Draw");
    assertThat(new BigDecimal(both.path("expectedUsd").asText())).isEqualByComparingTo("0.48");
    assertThat(new BigDecimal(both.path("spentAtRefusalUsd").asText()))
        .isEqualByComparingTo("0.85");
    assertThat(new BigDecimal(both.path("limitUsd").asText())).isEqualByComparingTo("0.50");
    assertThat(both.path("reason").asText())
        .isEqualTo(
            "run's hard limit: failed with BudgetExceeded; then refused before running: Draw"
                + " (expected $0.48) would cross the run's hard limit");

    JsonNode refused = row(rows, "run-only-refused");
    assertThat(refused.path("crossed").asBoolean()).isFalse();
    assertThat(refused.path("refused").asBoolean()).isTrue();
    assertThat(refused.path("reason").asText()).startsWith("refused before running: Draw");
    JsonNode crossed = row(rows, "run-only-crossed");
    assertThat(crossed.path("refused").asBoolean()).isFalse();
    assertThat(crossed.has("refusedActivityType")).isFalse();
    assertThat(new BigDecimal(crossed.path("spentAtCrossingUsd").asText()))
        .isEqualByComparingTo("0.75");
  }

  private static JsonNode row(JsonNode rows, String runId) {
    for (JsonNode n : rows) {
      if (n.path("runId").asText().equals(runId)) {
        return n;
      }
    }
    throw new AssertionError("no row for " + runId + " in " + rows);
  }

  private static void spend(String run, String activity, long inputTokens) {
    Instant now = Instant.now();
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(inputTokens).build();
    store.record(
        new AttemptCost(
            new AttemptContext(
                "default", "wf-" + run, "Storyboard", "run-" + run, activity, "Draw", 1, "q", now),
            Outcome.COMPLETED,
            List.of(new PricedUsage(u, PRICER.priceLenient(u))),
            Map.of(),
            now));
  }

  private static BudgetCheckRequest check(String run) {
    return new BudgetCheckRequest(
        "run-" + run, "wf-" + run, "Storyboard", "q", new HashMap<>(), HARD, null, null, null);
  }

  private static BudgetRefusal refusal(String run, String spent) {
    return new BudgetRefusal(
        "run-" + run,
        "wf-" + run,
        "Storyboard",
        new BudgetExceeded.Details(
            "hard",
            new BigDecimal("0.50"),
            new BigDecimal(spent),
            new BigDecimal("0.48"),
            "Draw",
            null,
            true));
  }

  private static String get(String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }
}
