package dev.costwise.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.costwise.usage.InvalidUsageException;
import dev.costwise.usage.Usage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dated prices, service tiers, one-hour cache writes, audio tokens and catalog versions, checked
 * against figures published in the public price data the bundled catalog is made from.
 */
class PriceHistoryAndTiersTest {
  private static final PriceCatalog BUNDLED = CatalogSource.bundledCatalog();
  private static final Instant NOW = Instant.parse("2026-11-20T10:00:00Z");

  private static PriceCatalog file(String json) {
    return CatalogFormat.read(
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json");
  }

  /**
   * gpt-4o as OpenAI priced it: the 2024-05-13 figures ($5 in, $15 out per million tokens) until
   * the name moved to the 2024-08-06 snapshot ($2.50, $10) on 2024-10-02.
   */
  private static final String DATED =
      """
      {"source": "dated gpt-4o", "asOf": "2024-10-02", "models": [
        {"id": "gpt-4o", "provider": "openai", "effectiveTo": "2024-10-02",
         "prices": {"inputPerMTok": "5", "outputPerMTok": "15"}},
        {"id": "gpt-4o", "provider": "openai", "effectiveFrom": "2024-10-02",
         "prices": {"inputPerMTok": "2.50", "outputPerMTok": "10"}}]}
      """;

  @Test
  void anAttemptIsPricedAtThePricesInForceWhenItStarted() {
    Pricer pricer = Pricer.of(file(DATED));
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(1_000_000).outputTokens(1_000_000).build();

    Cost before = pricer.price(u, Instant.parse("2024-10-01T23:59:59Z"));
    Cost after = pricer.price(u, Instant.parse("2024-10-02T00:00:00Z"));

    assertThat(before.total()).isEqualByComparingTo("20"); // 5 + 15
    assertThat(before.priceEntry()).isEqualTo("gpt-4o@..2024-10-02");
    assertThat(after.total()).isEqualByComparingTo("12.50"); // 2.50 + 10
    assertThat(after.priceEntry()).isEqualTo("gpt-4o@2024-10-02");
    assertThat(after.catalog()).isEqualTo(pricer.catalog().version());
  }

  @Test
  void aDatedOverrideKeepsTheBundledPriceOnOtherDays() {
    PriceCatalog over =
        file(
            """
            {"source": "negotiated", "models": [{"id": "gpt-4o-mini", "effectiveFrom": "2026-12-01",
              "effectiveTo": "2027-01-01", "prices": {"inputPerMTok": "0.10", "outputPerMTok": "0.40"}}]}
            """);
    Pricer pricer = Pricer.of(BUNDLED.overlay(over));
    Usage u = Usage.of("openai", "gpt-4o-mini").inputTokens(1_000_000).build();
    assertThat(pricer.price(u, Instant.parse("2026-12-15T00:00:00Z")).total())
        .isEqualByComparingTo("0.10");
    Cost january = pricer.price(u, Instant.parse("2027-01-01T00:00:00Z"));
    assertThat(january.total()).isEqualByComparingTo("0.15"); // published rate again
    assertThat(january.priceEntry()).isEqualTo("gpt-4o-mini");
  }

  @Test
  void aDayWithoutAPriceInForceIsUnpricedAndSaysWhy() {
    PriceCatalog only =
        file(
            """
            {"source": "late", "models": [{"id": "newcomer", "effectiveFrom": "2026-12-01",
              "prices": {"inputPerMTok": "1"}}]}
            """);
    Cost c = Pricer.of(only).priceLenient(Usage.of("", "newcomer").inputTokens(10).build(), NOW);
    assertThat(c.priced()).isFalse();
    assertThat(c.unpricedReason())
        .contains("no price in force on 2026-11-20")
        .contains("from 2026-12-01");
  }

  @Test
  void overlappingVersionsOfOneModelAreRejectedWithBothRanges() {
    assertThatThrownBy(
            () ->
                file(
                    """
                    {"source": "bad", "models": [
                      {"id": "m", "effectiveFrom": "2026-01-01", "prices": {"inputPerMTok": "1"}},
                      {"id": "m", "effectiveFrom": "2026-06-01", "effectiveTo": "2026-07-01",
                       "prices": {"inputPerMTok": "2"}}]}
                    """))
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("test.json")
        .hasMessageContaining("from 2026-01-01")
        .hasMessageContaining("from 2026-06-01 to 2026-07-01");
    assertThatThrownBy(
            () ->
                file(
                    """
                    {"source": "bad", "models": [{"id": "m", "effectiveFrom": "01/02/2026",
                      "prices": {"inputPerMTok": "1"}}]}
                    """))
        .hasMessageContaining("models[0]")
        .hasMessageContaining("not a date");
  }

  @Test
  void batchAndPriorityUseTheirPublishedRates() {
    Pricer pricer = Pricer.of(BUNDLED);
    Usage.Builder call =
        Usage.of("openai", "gpt-4o").inputTokens(1_000_000).outputTokens(1_000_000);
    Cost standard = pricer.price(call.build(), NOW);
    Cost batch = pricer.price(call.serviceTier("batch").build(), NOW);
    Cost priority = pricer.price(call.serviceTier("priority").build(), NOW);

    assertThat(standard.total()).isEqualByComparingTo("12.5"); // 2.50 + 10
    assertThat(standard.serviceTier()).isEqualTo("standard");
    assertThat(batch.total()).isEqualByComparingTo("6.25"); // 1.25 + 5
    assertThat(batch.serviceTier()).isEqualTo("batch");
    assertThat(priority.total()).isEqualByComparingTo("21.25"); // 4.25 + 17
  }

  @Test
  void flexUsesItsPublishedRatesAndATierWithoutRatesFallsBackVisibly() {
    Pricer pricer = Pricer.of(BUNDLED);
    Cost flex =
        pricer.price(
            Usage.of("openai", "gpt-5")
                .inputTokens(1_000_000)
                .outputTokens(1_000_000)
                .cacheReadTokens(1_000_000)
                .serviceTier("flex")
                .build(),
            NOW);
    assertThat(flex.total()).isEqualByComparingTo("5.6875"); // 0.625 + 5 + 0.0625
    assertThat(flex.serviceTier()).isEqualTo("flex");

    // gpt-4o publishes no flex rates: standard rates, and the cost says so
    Cost fallback =
        pricer.price(
            Usage.of("openai", "gpt-4o").inputTokens(1_000_000).serviceTier("flex").build(), NOW);
    assertThat(fallback.total()).isEqualByComparingTo("2.5");
    assertThat(fallback.serviceTier()).isEqualTo("standard");
  }

  @Test
  void serviceTierNamesAreNormalizedAndBoundedInUsage() {
    assertThat(Usage.of("openai", "gpt-4o").serviceTier("Default").build().serviceTier()).isNull();
    assertThat(Usage.of("openai", "gpt-4o").serviceTier(" FLEX ").build().serviceTier())
        .isEqualTo("flex");
    assertThatThrownBy(() -> Usage.of("openai", "gpt-4o").serviceTier("x".repeat(40)).build())
        .isInstanceOf(InvalidUsageException.class)
        .hasMessageContaining("serviceTier");
  }

  @Test
  void oneHourCacheWritesUseTheirPublishedRateApartFromFiveMinuteWrites() {
    Cost c =
        Pricer.of(BUNDLED)
            .price(
                Usage.of("anthropic", "claude-sonnet-4-5")
                    .cacheWriteTokens(100_000)
                    .cacheWrite1hTokens(100_000)
                    .build(),
                NOW);
    assertThat(c.part(CostComponent.CACHE_WRITE)).isEqualByComparingTo("0.375"); // 3.75 / M
    assertThat(c.part(CostComponent.CACHE_WRITE_1H)).isEqualByComparingTo("0.6"); // 6 / M
    assertThat(c.total()).isEqualByComparingTo("0.975");
  }

  @Test
  void audioTokensArePricedApartFromTextTokens() {
    Cost c =
        Pricer.of(BUNDLED)
            .price(
                Usage.of("openai", "gpt-4o-audio-preview")
                    .inputTokens(1_000)
                    .audioInputTokens(10_000)
                    .audioOutputTokens(5_000)
                    .build(),
                NOW);
    assertThat(c.part(CostComponent.INPUT)).isEqualByComparingTo("0.0025"); // 1000 * 2.50 / M
    assertThat(c.part(CostComponent.AUDIO_INPUT)).isEqualByComparingTo("0.4"); // 10000 * 40 / M
    assertThat(c.part(CostComponent.AUDIO_OUTPUT)).isEqualByComparingTo("0.4"); // 5000 * 80 / M
    assertThat(c.total()).isEqualByComparingTo("0.8025");

    Cost noAudioRate =
        Pricer.of(BUNDLED)
            .priceLenient(Usage.of("openai", "gpt-4o").audioInputTokens(10).build(), NOW);
    assertThat(noAudioRate.priced()).isFalse();
    assertThat(noAudioRate.unpricedReason()).contains("audio_input tokens");
  }

  @Test
  void theCatalogVersionHashesContentNotLabels() {
    CatalogVersion bundled = BUNDLED.version();
    assertThat(bundled.source()).contains("LiteLLM");
    assertThat(bundled.asOf()).isGreaterThanOrEqualTo("2026-07-24"); // the newest of its layers
    assertThat(bundled.hash()).hasSize(16);
    assertThat(CatalogSource.bundledCatalog().version()).isEqualTo(bundled);

    PriceCatalog a =
        file(
            "{\"source\": \"a\", \"models\": [{\"id\": \"m\", \"prices\": {\"inputPerMTok\": \"1\"}}]}");
    PriceCatalog b =
        file(
            "{\"source\": \"b\", \"models\": [{\"id\": \"m\", \"prices\": {\"inputPerMTok\": \"1\"}}]}");
    PriceCatalog c =
        file(
            "{\"source\": \"a\", \"models\": [{\"id\": \"m\", \"prices\": {\"inputPerMTok\": \"2\"}}]}");
    assertThat(a.version().hash()).isEqualTo(b.version().hash());
    assertThat(a.version().hash()).isNotEqualTo(c.version().hash());
  }

  @Test
  void importingANewerListAppendsADatedVersionAndKeepsTheOlderPrices(@TempDir Path dir)
      throws Exception {
    PriceCatalog older =
        file(
            """
            {"source": "july", "asOf": "2026-07-24", "models": [
              {"id": "kept", "prices": {"inputPerMTok": "1"}},
              {"id": "cheaper", "prices": {"inputPerMTok": "4"}},
              {"id": "gone", "prices": {"inputPerMTok": "9"}}]}
            """);
    PriceCatalog newer =
        file(
            """
            {"source": "september", "asOf": "2026-09-01", "models": [
              {"id": "kept", "prices": {"inputPerMTok": "1"}},
              {"id": "cheaper", "prices": {"inputPerMTok": "3"}},
              {"id": "new", "prices": {"inputPerMTok": "7"}}]}
            """);
    PriceCatalog merged =
        CatalogHistory.append(older, newer, LocalDate.parse("2026-09-01"), "merged");
    Path out = dir.resolve("catalog.json");
    CatalogFormat.write(merged, "merged", "2026-09-01", out);
    PriceCatalog read = CatalogFormat.read(out);
    Pricer pricer = Pricer.of(read);
    Usage cheaper = Usage.of("", "cheaper").inputTokens(1_000_000).build();

    assertThat(pricer.price(cheaper, Instant.parse("2026-08-31T12:00:00Z")).total())
        .isEqualByComparingTo("4");
    assertThat(pricer.price(cheaper, Instant.parse("2026-09-01T00:00:00Z")).total())
        .isEqualByComparingTo("3");
    assertThat(read.history("kept")).hasSize(1).allSatisfy(m -> assertThat(m.dated()).isFalse());
    assertThat(read.history("cheaper")).hasSize(2);
    assertThat(read.byId("gone")).isPresent();
    assertThat(read.byId("new")).isPresent();
    assertThat(Files.readString(out)).contains("\"effectiveTo\" : \"2026-09-01\"");

    // appending the same list again changes nothing
    PriceCatalog again =
        CatalogHistory.append(read, newer, LocalDate.parse("2026-09-02"), "merged");
    assertThat(again.version().hash()).isEqualTo(read.version().hash());
  }

  /**
   * azure/gpt-5.4 at priority above 272k prompt tokens: the public list gives $10 in, $45 out and
   * $1 cache reads per million, not the flat priority rates ($5, $30) nor standard long context.
   */
  @Test
  void priorityAboveTheLongContextThresholdUsesItsOwnPublishedRates() {
    Pricer pricer = Pricer.of(BUNDLED);
    Usage.Builder u =
        Usage.of("azure", "azure/gpt-5.4")
            .inputTokens(300_000)
            .cacheReadTokens(10_000)
            .outputTokens(1_000);
    Cost priority = pricer.price(u.serviceTier("priority").build(), NOW);
    assertThat(priority.tierAboveTokens()).isEqualTo(272_000);
    assertThat(priority.serviceTier()).isEqualTo("priority");
    assertThat(priority.part(CostComponent.INPUT)).isEqualByComparingTo("3.0");
    assertThat(priority.part(CostComponent.OUTPUT)).isEqualByComparingTo("0.045");
    assertThat(priority.part(CostComponent.CACHE_READ)).isEqualByComparingTo("0.01");
    Cost below =
        pricer.price(
            Usage.of("azure", "azure/gpt-5.4")
                .inputTokens(1_000)
                .outputTokens(1_000)
                .serviceTier("priority")
                .build(),
            NOW);
    assertThat(below.part(CostComponent.INPUT)).isEqualByComparingTo("0.005"); // $5 flat priority
    Cost standard = pricer.price(u.serviceTier(null).build(), NOW);
    assertThat(standard.part(CostComponent.INPUT)).isEqualByComparingTo("1.5"); // $5 long context
  }

  /**
   * Every long-context service-tier rate of the public data prices identically above its threshold.
   */
  @Test
  void bundledCatalogPricesEveryLongContextServiceTierRateOfThePublicData() throws Exception {
    Path data = Path.of("..", "..", "shared", "data", "model_prices_and_context_window.json");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.exists(data), "public price data not beside the project");
    com.fasterxml.jackson.databind.JsonNode root =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(data.toFile());
    Pricer pricer = Pricer.of(BUNDLED);
    java.util.regex.Pattern field =
        java.util.regex.Pattern.compile(
            "^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost)_above_(\\d+)k_tokens_(priority|flex|batches)$");
    java.util.List<String> wrong = new java.util.ArrayList<>();
    int checked = 0;
    for (var it = root.fields(); it.hasNext(); ) {
      var e = it.next();
      if (!e.getValue().isObject()) {
        continue;
      }
      for (var names = e.getValue().fieldNames(); names.hasNext(); ) {
        String name = names.next();
        java.util.regex.Matcher m = field.matcher(name);
        if (!m.matches() || !e.getValue().get(name).isNumber()) {
          continue;
        }
        checked++;
        long prompt = Long.parseLong(m.group(2)) * 1000 + 1;
        String tier = m.group(3).equals("batches") ? "batch" : m.group(3);
        Usage.Builder u = Usage.of("", e.getKey()).serviceTier(tier);
        CostComponent part;
        long tokens;
        switch (m.group(1)) {
          case "input_cost_per_token" -> {
            u.inputTokens(prompt);
            part = CostComponent.INPUT;
            tokens = prompt;
          }
          case "output_cost_per_token" -> {
            u.inputTokens(prompt).outputTokens(1_000);
            part = CostComponent.OUTPUT;
            tokens = 1_000;
          }
          default -> {
            u.cacheReadTokens(prompt);
            part = CostComponent.CACHE_READ;
            tokens = prompt;
          }
        }
        Cost c = pricer.priceLenient(u.build(), Instant.parse("2026-07-24T00:00:00Z"));
        java.math.BigDecimal expected =
            e.getValue().get(name).decimalValue().multiply(java.math.BigDecimal.valueOf(tokens));
        if (!c.priced() || c.part(part).compareTo(expected) != 0) {
          wrong.add(e.getKey() + " " + name);
        }
      }
    }
    assertThat(checked).isGreaterThan(70);
    assertThat(wrong).as("long-context tier rates priced wrongly or missing").isEmpty();
  }
}
