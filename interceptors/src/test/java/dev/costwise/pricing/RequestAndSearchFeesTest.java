package dev.costwise.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.usage.InvalidUsageException;
import dev.costwise.usage.Usage;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fees charged per request and per web search, checked against the figures of the public price data
 * the bundled catalog is made from (2026-07-24) and the providers' published rules.
 */
class RequestAndSearchFeesTest {
  private static final PriceCatalog BUNDLED = CatalogSource.bundledCatalog();
  private static final Instant AT = Instant.parse("2026-07-24T12:00:00Z");

  private static PriceCatalog file(String json) {
    return CatalogFormat.read(
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json");
  }

  /** Anthropic publishes web search at USD 10 per 1,000 searches, on top of tokens. */
  @Test
  void anthropicWebSearchesCostTenDollarsPerThousandOnTopOfTokens() {
    Usage u =
        Usage.of("anthropic", "claude-sonnet-4-5")
            .inputTokens(10_000)
            .outputTokens(1_000)
            .webSearches(3)
            .build();
    Cost c = Pricer.of(BUNDLED).price(u, AT);
    assertThat(c.priced()).isTrue();
    assertThat(c.part(CostComponent.WEB_SEARCH)).isEqualByComparingTo("0.03");
    assertThat(c.part(CostComponent.INPUT)).isEqualByComparingTo("0.03"); // 10k x $3/M
    assertThat(c.part(CostComponent.OUTPUT)).isEqualByComparingTo("0.015"); // 1k x $15/M
    assertThat(c.total()).isEqualByComparingTo("0.075");
  }

  /**
   * An Anthropic model whose entry publishes no web-search fee is priced by Anthropic's one rule
   * for every model ($10 per 1,000); a model of another provider without a fee stays unpriced.
   */
  @Test
  void anAnthropicModelWithoutItsOwnFeeUsesAnthropicsPublishedFee() {
    assertThat(BUNDLED.resolve("anthropic", "claude-haiku-4-5").orElseThrow().rates())
        .extracting(Rates::per1KWebSearches)
        .isEqualTo(Map.of());
    Cost c =
        Pricer.of(BUNDLED)
            .price(Usage.of("anthropic", "claude-haiku-4-5").webSearches(2).build(), AT);
    assertThat(c.priced()).isTrue();
    assertThat(c.part(CostComponent.WEB_SEARCH)).isEqualByComparingTo("0.02");
  }

  /**
   * OpenAI's search models charge by search context size: gpt-4o-search-preview $30, $35 and $50
   * per 1,000 searches at low, medium and high; a record naming no size is priced at medium, the
   * documented default.
   */
  @Test
  void openAiSearchFeesDependOnTheSearchContextSize() {
    Pricer pricer = Pricer.of(BUNDLED);
    String model = "gpt-4o-search-preview";
    assertThat(fee(pricer, model, "low")).isEqualByComparingTo("0.03");
    assertThat(fee(pricer, model, "medium")).isEqualByComparingTo("0.035");
    assertThat(fee(pricer, model, "HIGH")).isEqualByComparingTo("0.05");
    assertThat(fee(pricer, model, null)).isEqualByComparingTo("0.035");
    assertThat(fee(pricer, "gpt-4o-mini-search-preview", "low")).isEqualByComparingTo("0.025");
    Cost many = pricer.price(Usage.of("openai", model).webSearches(1_000, "high").build(), AT);
    assertThat(many.total()).isEqualByComparingTo("50");
  }

  private static BigDecimal fee(Pricer pricer, String model, String size) {
    Cost c = pricer.price(Usage.of("openai", model).webSearches(1, size).build(), AT);
    assertThat(c.priced()).as(model + " " + size).isTrue();
    return c.part(CostComponent.WEB_SEARCH);
  }

  /** A search fee the catalog does not publish leaves the record unpriced, never at zero. */
  @Test
  void webSearchesOfAModelWithoutAPublishedFeeAreUnpricedWithTheReason() {
    Usage u = Usage.of("openai", "gpt-5").inputTokens(1_000).webSearches(1, "low").build();
    Cost c = Pricer.of(BUNDLED).price(u, AT);
    assertThat(c.priced()).isFalse();
    assertThat(c.total()).isNull();
    assertThat(c.unpricedReason())
        .contains("gpt-5")
        .contains("web searches (low search context)")
        .contains("price override file");
    assertThatThrownBy(() -> new Pricer(() -> BUNDLED, true).price(u, AT))
        .isInstanceOf(UnknownModelException.class)
        .hasMessageContaining("web searches");
  }

  /** Perplexity's online models publish $5 per 1,000 requests besides output tokens. */
  @Test
  void perRequestFeesArePricedWherePublishedAndUnpricedElsewhere() {
    Pricer pricer = Pricer.of(BUNDLED);
    Cost online =
        pricer.price(
            Usage.of("perplexity", "perplexity/sonar-medium-online")
                .outputTokens(1_000)
                .requests(1)
                .build(),
            AT);
    assertThat(online.part(CostComponent.REQUESTS)).isEqualByComparingTo("0.005");
    assertThat(online.total()).isEqualByComparingTo("0.0068"); // + 1k x $1.80/M
    Cost search = pricer.price(Usage.of("tavily", "tavily/search").requests(3).build(), AT);
    assertThat(search.total()).isEqualByComparingTo("0.024"); // $0.008 per query

    Cost none = pricer.price(Usage.of("openai", "gpt-4o").inputTokens(10).requests(1).build(), AT);
    assertThat(none.priced()).isFalse();
    assertThat(none.unpricedReason()).contains("no published price for requests");
  }

  /** Fees are inherited by long-context and service tiers that do not publish their own. */
  @Test
  void feesApplyInLongContextAndServiceTiers() {
    Pricer pricer = Pricer.of(BUNDLED);
    // gemini-3.1-flash-lite: batch rates published, $0.014 per search (the file's figure)
    Cost batch =
        pricer.price(
            Usage.of("", "gemini-3.1-flash-lite")
                .inputTokens(1_000)
                .webSearches(1)
                .serviceTier("batch")
                .build(),
            AT);
    assertThat(batch.serviceTier()).isEqualTo("batch");
    assertThat(batch.part(CostComponent.WEB_SEARCH)).isEqualByComparingTo("0.014");
    Cost longContext =
        pricer.price(
            Usage.of("anthropic", "claude-sonnet-4-5").inputTokens(300_000).webSearches(1).build(),
            AT);
    assertThat(longContext.tierAboveTokens()).isEqualTo(200_000);
    assertThat(longContext.part(CostComponent.WEB_SEARCH)).isEqualByComparingTo("0.01");
  }

  /** An override file gives fees as one decimal or by size, and they survive a write and read. */
  @Test
  void overrideFilesCarryFeesAndTheyRoundTrip(@TempDir Path dir) throws Exception {
    PriceCatalog over =
        file(
            """
            {"source": "negotiated", "models": [
              {"id": "gpt-5", "provider": "openai",
               "prices": {"inputPerMTok": "1.25", "per1KWebSearches": "10"}},
              {"id": "my-search", "prices": {"per1KRequests": "4",
               "per1KWebSearches": {"low": "25", "high": "30"}}}]}
            """);
    Pricer pricer = Pricer.of(BUNDLED.overlay(over));
    assertThat(fee(pricer, "gpt-5", "high")).isEqualByComparingTo("0.01");
    assertThat(fee(pricer, "my-search", "low")).isEqualByComparingTo("0.025");
    Cost medium = pricer.price(Usage.of("", "my-search").webSearches(1, "medium").build(), AT);
    assertThat(medium.priced()).isFalse();
    assertThat(medium.unpricedReason()).contains("web searches (medium search context)");

    Path out = dir.resolve("catalog.json");
    CatalogFormat.write(over, "negotiated", "2026-11-01", out);
    PriceCatalog back = CatalogFormat.read(out);
    assertThat(back.resolve("", "my-search").orElseThrow().rates())
        .isEqualTo(over.resolve("", "my-search").orElseThrow().rates());
    assertThat(back.version().hash()).isEqualTo(over.version().hash());
  }

  @Test
  void badFeesAndSizesAreRejectedWithClearMessages() {
    assertThatThrownBy(
            () ->
                file(
                    """
                    {"models": [{"id": "m", "prices": {"per1KWebSearches": {"huge": "1"}}}]}
                    """))
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("unknown search context size \"huge\"");
    assertThatThrownBy(
            () -> file("{\"models\": [{\"id\": \"m\", \"prices\": {\"per1KRequests\": \"-1\"}}]}"))
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("per1KRequests")
        .hasMessageContaining("negative");
    assertThatThrownBy(() -> Usage.of("openai", "gpt-4o").webSearches(1, "huge").build())
        .isInstanceOf(InvalidUsageException.class)
        .hasMessageContaining("low, medium or high");
    assertThatThrownBy(() -> Usage.of("openai", "gpt-4o").requests(-1).build())
        .isInstanceOf(InvalidUsageException.class)
        .hasMessageContaining("requests");
  }

  /**
   * Every web-search fee and per-request fee of the shared public data prices identically from the
   * bundled catalog, size by size.
   */
  @Test
  void bundledCatalogPricesEveryPublishedFeeOfThePublicData() throws Exception {
    Path data = Path.of("..", "..", "shared", "data", "model_prices_and_context_window.json");
    Assumptions.assumeTrue(Files.exists(data), "public price data not beside the project");
    JsonNode root = new ObjectMapper().readTree(data.toFile());
    Pricer pricer = Pricer.of(BUNDLED);
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("sample_spec") || !e.getValue().isObject()) {
        continue;
      }
      JsonNode fees = e.getValue().path("search_context_cost_per_query");
      for (String size : Usage.SEARCH_CONTEXT_SIZES) {
        JsonNode fee = fees.get("search_context_size_" + size);
        if (fee == null || !fee.isNumber()) {
          continue;
        }
        checked++;
        Cost c = pricer.priceLenient(Usage.of("", e.getKey()).webSearches(7, size).build(), AT);
        if (!c.priced()
            || c.part(CostComponent.WEB_SEARCH)
                    .compareTo(fee.decimalValue().multiply(BigDecimal.valueOf(7)))
                != 0) {
          wrong.add(e.getKey() + " " + size);
        }
      }
      for (String field : new String[] {"input_cost_per_request", "input_cost_per_query"}) {
        JsonNode fee = e.getValue().get(field);
        if (fee == null || !fee.isNumber()) {
          continue;
        }
        checked++;
        Cost c = pricer.priceLenient(Usage.of("", e.getKey()).requests(7).build(), AT);
        if (!c.priced()
            || c.part(CostComponent.REQUESTS)
                    .compareTo(fee.decimalValue().multiply(BigDecimal.valueOf(7)))
                != 0) {
          wrong.add(e.getKey() + " " + field);
        }
      }
    }
    assertThat(checked).isGreaterThan(500);
    assertThat(wrong).as("fees priced wrongly or missing").isEmpty();
  }
}
