package dev.costwise.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.usage.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriceCatalogTest {
  private final PriceCatalog small = TestCatalogs.small();

  private String resolved(String provider, String model) {
    return small.resolve(provider, model).map(ModelPrice::id).orElse(null);
  }

  @Test
  void resolvesExactIdsIgnoringCase() {
    assertThat(resolved("", "gpt-4o")).isEqualTo("gpt-4o");
    assertThat(resolved("", "GPT-4o")).isEqualTo("gpt-4o");
  }

  @Test
  void resolvesProviderPrefixedNamesBothWays() {
    assertThat(resolved("", "openai/gpt-4o")).isEqualTo("gpt-4o");
    assertThat(resolved("openai", "gpt-4o-mini")).isEqualTo("openai/gpt-4o-mini");
  }

  @Test
  void resolvesDatedSnapshotsToTheirModel() {
    assertThat(resolved("", "gpt-4o-2024-08-06")).isEqualTo("gpt-4o");
    assertThat(resolved("", "chat-a-20241022")).isEqualTo("chat-a");
    assertThat(resolved("openai", "gpt-4o-mini-2024-07-18")).isEqualTo("openai/gpt-4o-mini");
  }

  @Test
  void resolvesAliasesAndPatterns() {
    assertThat(resolved("", "our-default")).isEqualTo("chat-a");
    assertThat(resolved("", "ollama/qwen2.5:7b")).isEqualTo("house");
    assertThat(resolved("", "ft:plain:acme:custom:abc123")).isEqualTo("plain");
  }

  @Test
  void unknownNamesDoNotResolve() {
    assertThat(resolved("", "gpt-5o-turbo-ultra")).isNull();
    assertThat(small.suggestions("chat-b")).contains("chat-a");
  }

  @Test
  void bundledCatalogRecordsItsSourceAndDate() {
    PriceCatalog bundled = CatalogSource.bundledCatalog();
    assertThat(bundled.source()).contains("LiteLLM").contains("2026-");
    assertThat(bundled.resolve("openai", "gpt-4o-2024-08-06")).isPresent();
    assertThat(bundled.resolve("vertex_ai", "veo-3.0-generate-001")).isPresent();
    assertThat(bundled.resolve("lmstudio", "lmstudio/qwen3").map(ModelPrice::free)).contains(true);
  }

  /**
   * Every model with a published per-token price in the shared public data is in the bundled
   * catalog.
   */
  @Test
  void bundledCatalogCoversEveryPricedModelOfThePublicData() throws Exception {
    Path data = Path.of("..", "..", "shared", "data", "model_prices_and_context_window.json");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.exists(data), "public price data not beside the project");
    JsonNode root = new ObjectMapper().readTree(data.toFile());
    PriceCatalog bundled = CatalogSource.bundledCatalog();
    Pricer pricer = Pricer.of(bundled);
    List<String> missing = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode in = e.getValue().get("input_cost_per_token");
      if (e.getKey().equals("sample_spec")
          || in == null
          || !in.isNumber()
          || in.decimalValue().signum() <= 0) {
        continue;
      }
      Cost c = pricer.price(Usage.of("", e.getKey()).inputTokens(1_000).build());
      if (!c.priced()
          || c.part(CostComponent.INPUT).compareTo(in.decimalValue().movePointRight(3)) != 0) {
        missing.add(e.getKey());
      }
    }
    assertThat(missing).as("models priced wrongly or missing").isEmpty();
  }

  /**
   * Every published batch, flex and priority input rate and every audio-token rate of the shared
   * public data prices identically from the bundled catalog.
   */
  @Test
  void bundledCatalogPricesEveryPublishedServiceTierAndAudioRateOfThePublicData() throws Exception {
    Path data = Path.of("..", "..", "shared", "data", "model_prices_and_context_window.json");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.exists(data), "public price data not beside the project");
    JsonNode root = new ObjectMapper().readTree(data.toFile());
    Pricer pricer = Pricer.of(CatalogSource.bundledCatalog());
    java.time.Instant at = java.time.Instant.parse("2026-07-24T00:00:00Z");
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("sample_spec") || !e.getValue().isObject()) {
        continue;
      }
      for (String[] tier :
          new String[][] {{"batch", "_batches"}, {"flex", "_flex"}, {"priority", "_priority"}}) {
        JsonNode rate = e.getValue().get("input_cost_per_token" + tier[1]);
        if (rate == null || !rate.isNumber() || rate.decimalValue().signum() <= 0) {
          continue;
        }
        checked++;
        Cost c =
            pricer.priceLenient(
                Usage.of("", e.getKey()).inputTokens(1_000).serviceTier(tier[0]).build(), at);
        if (!c.priced()
            || !tier[0].equals(c.serviceTier())
            || c.part(CostComponent.INPUT).compareTo(rate.decimalValue().movePointRight(3)) != 0) {
          wrong.add(e.getKey() + " " + tier[0]);
        }
      }
      for (String[] audio :
          new String[][] {
            {"input_cost_per_audio_token", "in"}, {"output_cost_per_audio_token", "out"}
          }) {
        JsonNode rate = e.getValue().get(audio[0]);
        if (rate == null || !rate.isNumber() || rate.decimalValue().signum() <= 0) {
          continue;
        }
        checked++;
        Usage.Builder u = Usage.of("", e.getKey());
        Usage usage =
            audio[1].equals("in")
                ? u.audioInputTokens(1_000).build()
                : u.audioOutputTokens(1_000).build();
        Cost c = pricer.priceLenient(usage, at);
        CostComponent part =
            audio[1].equals("in") ? CostComponent.AUDIO_INPUT : CostComponent.AUDIO_OUTPUT;
        if (!c.priced() || c.part(part).compareTo(rate.decimalValue().movePointRight(3)) != 0) {
          wrong.add(e.getKey() + " audio " + audio[1]);
        }
      }
    }
    assertThat(checked).isGreaterThan(300);
    assertThat(wrong).as("tier or audio rates priced wrongly or missing").isEmpty();
  }
}
