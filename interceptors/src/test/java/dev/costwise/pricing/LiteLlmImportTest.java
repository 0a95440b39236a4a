package dev.costwise.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Conversion of the public LiteLLM price format (USD per token, per character, per second) into
 * ours.
 */
class LiteLlmImportTest {
  private static final String DATA =
      """
      {
        "sample_spec": {"input_cost_per_token": 0, "litellm_provider": "x"},
        "chat-long": {"litellm_provider": "acme", "mode": "chat",
          "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
          "cache_read_input_token_cost": 3.125e-07, "cache_creation_input_token_cost": 1.5625e-06,
          "output_cost_per_reasoning_token": 1.2e-05,
          "input_cost_per_token_above_200k_tokens": 2.5e-06, "output_cost_per_token_above_200k_tokens": 1.5e-05,
          "cache_creation_input_token_cost_above_1hr": 2.5e-06, "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 5e-06},
        "tts-x": {"litellm_provider": "acme", "mode": "audio_speech", "input_cost_per_character": 1.5e-05},
        "stt-x": {"litellm_provider": "acme", "mode": "audio_transcription", "input_cost_per_second": 0.0001},
        "vid-x": {"litellm_provider": "acme", "mode": "video_generation", "output_cost_per_video_per_second": 0.1},
        "hd/1024-x-1792/img-x": {"litellm_provider": "acme", "mode": "image_generation", "output_cost_per_image": 0.12},
        "standard/1024-x-1024/img-x": {"litellm_provider": "acme", "mode": "image_generation", "output_cost_per_image": 0.04},
        "ollama/free-x": {"litellm_provider": "ollama", "mode": "chat", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0}
      }
      """;

  private final PriceCatalog catalog =
      CatalogFormat.read(
          new ByteArrayInputStream(DATA.getBytes(StandardCharsets.UTF_8)), "litellm.json");

  private Rates rates(String id) {
    return catalog.byId(id).orElseThrow(() -> new AssertionError(id + " not imported")).rates();
  }

  @Test
  void perTokenPricesBecomeExactPerMillionPrices() {
    Rates r = rates("chat-long");
    assertThat(r.inputPerMTok()).isEqualByComparingTo("1.25");
    assertThat(r.outputPerMTok()).isEqualByComparingTo("10");
    assertThat(r.cacheReadPerMTok()).isEqualByComparingTo("0.3125");
    assertThat(r.cacheWritePerMTok()).isEqualByComparingTo("1.5625");
    assertThat(r.reasoningPerMTok()).isEqualByComparingTo("12");
  }

  @Test
  void aboveTokenFieldsBecomeLongContextTiers() {
    ModelPrice m = catalog.byId("chat-long").orElseThrow();
    assertThat(m.tiers())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.aboveInputTokens()).isEqualTo(200_000);
              assertThat(t.rates().inputPerMTok()).isEqualByComparingTo("2.5");
              assertThat(t.rates().outputPerMTok()).isEqualByComparingTo("15");
            });
  }

  @Test
  void mediaPricesKeepTheirUnits() {
    assertThat(rates("tts-x").per1KChars()).isEqualByComparingTo("0.015");
    assertThat(rates("stt-x").perAudioSecond()).isEqualByComparingTo("0.0001");
    assertThat(rates("vid-x").perVideoSecond()).isEqualByComparingTo("0.1");
  }

  @Test
  void imageVariantsFoldIntoOneModelByQualityAndSize() {
    Rates r = rates("img-x");
    assertThat(r.imageVariants()).containsEntry("hd/1024x1792", new java.math.BigDecimal("0.12"));
    assertThat(r.imageVariants().get("standard/1024x1024")).isEqualByComparingTo("0.04");
  }

  @Test
  void allZeroPricesMeanAFreeModelAndTheSampleIsSkipped() {
    assertThat(catalog.byId("ollama/free-x").orElseThrow().free()).isTrue();
    assertThat(catalog.byId("sample_spec")).isEmpty();
  }

  @Test
  void oneHourCacheWriteRatesAreImportedPerTier() {
    assertThat(rates("chat-long").cacheWrite1hPerMTok()).isEqualByComparingTo("2.5");
    assertThat(rates("chat-long").cacheWritePerMTok()).isEqualByComparingTo("1.5625");
    ModelPrice m = catalog.byId("chat-long").orElseThrow();
    assertThat(m.ratesFor(300_000).cacheWrite1hPerMTok()).isEqualByComparingTo("5");
  }
}
