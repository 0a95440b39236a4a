package dev.costwise.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** Every pricing semantic, against a small catalog whose figures can be checked by hand. */
class PricerTest {
  private final Pricer pricer = Pricer.of(TestCatalogs.small());

  private Cost price(Usage.Builder usage) {
    return pricer.price(usage.build());
  }

  @Test
  void inputAndOutputTokensArePricedPerMillionSeparately() {
    Cost c = price(Usage.of("acme", "chat-a").inputTokens(1_200).outputTokens(300));
    assertThat(c.part(CostComponent.INPUT)).isEqualByComparingTo("0.0036"); // 1200 * 3 / 1M
    assertThat(c.part(CostComponent.OUTPUT)).isEqualByComparingTo("0.0045"); // 300 * 15 / 1M
    assertThat(c.total()).isEqualByComparingTo("0.0081");
    assertThat(c.tierAboveTokens()).isZero();
  }

  @Test
  void cacheReadsAndWritesHaveTheirOwnRates() {
    Cost c =
        price(
            Usage.of("acme", "chat-a")
                .inputTokens(1_000)
                .cacheReadTokens(10_000)
                .cacheWriteTokens(2_000));
    assertThat(c.part(CostComponent.CACHE_READ)).isEqualByComparingTo("0.003"); // 10000 * 0.30 / 1M
    assertThat(c.part(CostComponent.CACHE_WRITE))
        .isEqualByComparingTo("0.0075"); // 2000 * 3.75 / 1M
    assertThat(c.total()).isEqualByComparingTo("0.0135");
  }

  @Test
  void cacheWithoutAPublishedRateFallsBackToTheInputRate() {
    Cost c = price(Usage.of("acme", "plain").cacheReadTokens(2_000_000));
    assertThat(c.part(CostComponent.CACHE_READ)).isEqualByComparingTo("1.0");
  }

  @Test
  void reasoningTokensUseTheirRateOrElseTheOutputRate() {
    assertThat(price(Usage.of("acme", "thinker").reasoningTokens(1_000_000)).total())
        .isEqualByComparingTo("5");
    assertThat(
            price(Usage.of("acme", "plain").reasoningTokens(1_000_000))
                .part(CostComponent.REASONING))
        .isEqualByComparingTo("1.5");
  }

  @Test
  void longContextTierAppliesOnlyStrictlyAboveTheThreshold() {
    Cost atThreshold = price(Usage.of("acme", "chat-a").inputTokens(200_000).outputTokens(1_000));
    assertThat(atThreshold.tierAboveTokens()).isZero();
    assertThat(atThreshold.total()).isEqualByComparingTo("0.615"); // 200000*3/M + 1000*15/M

    Cost above = price(Usage.of("acme", "chat-a").inputTokens(200_001).outputTokens(1_000));
    assertThat(above.tierAboveTokens()).isEqualTo(200_000);
    assertThat(above.part(CostComponent.INPUT)).isEqualByComparingTo("1.200006"); // 200001 * 6 / 1M
    assertThat(above.part(CostComponent.OUTPUT)).isEqualByComparingTo("0.0225"); // 1000 * 22.5 / 1M
  }

  @Test
  void cachedPromptTokensCountTowardTheTierAndKeepTheirRateWhenTheTierDoesNotOverrideIt() {
    Cost c = price(Usage.of("acme", "chat-a").inputTokens(100_000).cacheReadTokens(100_001));
    assertThat(c.tierAboveTokens()).isEqualTo(200_000);
    assertThat(c.part(CostComponent.INPUT)).isEqualByComparingTo("0.6");
    assertThat(c.part(CostComponent.CACHE_READ)).isEqualByComparingTo("0.0300003");
  }

  @Test
  void imagesArePricedByTheMostSpecificPublishedVariant() {
    assertThat(price(Usage.of("acme", "painter").images(4, "1024x1792", "hd")).total())
        .isEqualByComparingTo("0.48");
    assertThat(price(Usage.of("acme", "painter").images(2, "1792-x-1024", null)).total())
        .isEqualByComparingTo("0.16");
    assertThat(price(Usage.of("acme", "painter").images(3, "512x512", "hd")).total())
        .isEqualByComparingTo("0.24");
    assertThat(price(Usage.of("acme", "painter").images(5)).total()).isEqualByComparingTo("0.20");
  }

  @Test
  void videoSecondsArePricedWithOrWithoutAudio() {
    assertThat(price(Usage.of("acme", "mover").videoSeconds(new BigDecimal("8"), true)).total())
        .isEqualByComparingTo("3.20");
    assertThat(price(Usage.of("acme", "mover").videoSeconds(new BigDecimal("7.5"), false)).total())
        .isEqualByComparingTo("1.50");
    // no audio rate published: the silent rate applies, as the provider bills
    assertThat(
            price(Usage.of("acme", "silent-mover").videoSeconds(new BigDecimal("4"), true)).total())
        .isEqualByComparingTo("0.40");
  }

  @Test
  void speechIsPricedPerThousandCharactersAndAudioPerSecond() {
    assertThat(price(Usage.of("acme", "speaker").characters(1_500)).total())
        .isEqualByComparingTo("0.0225");
    assertThat(price(Usage.of("acme", "listener").audioSeconds(new BigDecimal("90.5"))).total())
        .isEqualByComparingTo("0.00905");
  }

  @Test
  void freeModelsCostZeroButArePricedAndKeepTheBreakdownOfWhatWasUsed() {
    Cost c = price(Usage.of("ollama", "ollama/llama3").inputTokens(5_000).outputTokens(700));
    assertThat(c.priced()).isTrue();
    assertThat(c.pricedModel()).isEqualTo("house");
    assertThat(c.total()).isEqualByComparingTo("0");
    assertThat(c.breakdown()).containsOnlyKeys(CostComponent.INPUT, CostComponent.OUTPUT);
  }

  @Test
  void aUsageKindWithoutAPublishedPriceIsUnpricedNotZero() {
    Cost c = price(Usage.of("acme", "speaker").characters(100).outputTokens(10));
    assertThat(c.priced()).isFalse();
    assertThat(c.total()).isNull();
    assertThat(c.unpricedReason()).contains("speaker", "output tokens");
  }

  @Test
  void unknownModelIsUnpricedWithSuggestionsAndStrictModeThrows() {
    Usage u = Usage.of("openai", "gpt-4oo").inputTokens(10).build();
    Cost c = pricer.price(u);
    assertThat(c.priced()).isFalse();
    assertThat(c.unpricedReason())
        .contains("Unknown model 'openai/gpt-4oo'", "did you mean 'gpt-4o'");

    Pricer strict = new Pricer(TestCatalogs::small, true);
    assertThatThrownBy(() -> strict.price(u))
        .isInstanceOf(UnknownModelException.class)
        .hasMessageContaining("gpt-4oo");
  }

  @Test
  void pricesAreExactDecimalsWithoutRounding() {
    Cost c = price(Usage.of("acme", "thinker").inputTokens(1).outputTokens(3));
    assertThat(c.total()).isEqualByComparingTo("0.0000143"); // 1.10e-6 + 3 * 4.40e-6
    assertThat(c.total().stripTrailingZeros().scale()).isEqualTo(7);
  }

  @Test
  void anErrorWhilePricingLeavesTheUsageUnpricedWithTheReasonInsteadOfFailingTheAttempt() {
    Pricer broken =
        new Pricer(
            () -> {
              throw new IllegalStateException("catalog unavailable");
            },
            false);
    Cost cost =
        broken.priceLenient(
            dev.costwise.usage.Usage.of("openai", "gpt-4o").inputTokens(10).build());
    assertThat(cost.priced()).isFalse();
    assertThat(cost.unpricedReason()).contains("pricing gpt-4o failed", "catalog unavailable");
  }

  private static final String ONE_HOUR_CATALOG =
      """
      {"source": "one-hour writes", "models": [
        {"id": "claude-x", "provider": "anthropic",
         "prices": {"inputPerMTok": "3", "outputPerMTok": "15", "cacheWritePerMTok": "3.75", "cacheWrite1hPerMTok": "6.5"}},
        {"id": "claude-y", "provider": "anthropic",
         "prices": {"inputPerMTok": "3", "outputPerMTok": "15", "cacheWritePerMTok": "3.75"}},
        {"id": "other-z", "provider": "acme", "prices": {"inputPerMTok": "3", "outputPerMTok": "15"}}
      ]}
      """;

  private static Pricer oneHour() {
    return Pricer.of(
        CatalogFormat.read(
            new java.io.ByteArrayInputStream(
                ONE_HOUR_CATALOG.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            "one-hour.json"));
  }

  @Test
  void oneHourCacheWritesUseTheirPublishedRate() {
    Cost c =
        oneHour()
            .price(
                Usage.of("anthropic", "claude-x")
                    .cacheWriteTokens(1_000)
                    .cacheWrite1hTokens(2_000)
                    .build());
    assertThat(c.part(CostComponent.CACHE_WRITE)).isEqualByComparingTo("0.00375");
    assertThat(c.part(CostComponent.CACHE_WRITE_1H)).isEqualByComparingTo("0.013"); // 2000*6.5/M
    assertThat(c.total()).isEqualByComparingTo("0.01675");
  }

  @Test
  void oneHourCacheWritesAtAnthropicWithoutARateAreTwiceTheInputRate() {
    Cost c = oneHour().price(Usage.of("anthropic", "claude-y").cacheWrite1hTokens(2_000).build());
    assertThat(c.part(CostComponent.CACHE_WRITE_1H)).isEqualByComparingTo("0.012"); // 2000*3*2/M
  }

  @Test
  void oneHourCacheWritesElsewhereWithoutARateAreUnpricedNeverZero() {
    Cost c =
        oneHour()
            .priceLenient(
                Usage.of("acme", "other-z").inputTokens(10).cacheWrite1hTokens(2_000).build());
    assertThat(c.priced()).isFalse();
    assertThat(c.unpricedReason()).contains("cache_write_1h tokens");
  }

  @Test
  void theBundledCatalogCarriesOneHourRatesForClaude() {
    Cost c =
        Pricer.of(CatalogSource.bundledCatalog())
            .price(
                Usage.of("anthropic", "claude-sonnet-4-5-20250929")
                    .cacheWrite1hTokens(1_000)
                    .build());
    assertThat(c.part(CostComponent.CACHE_WRITE_1H)).isEqualByComparingTo("0.006"); // 1000*6/M
  }
}
