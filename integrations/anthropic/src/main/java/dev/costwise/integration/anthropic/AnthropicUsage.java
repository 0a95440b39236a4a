package dev.costwise.integration.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.integration.http.Json;
import dev.costwise.integration.http.ProviderByHost;
import dev.costwise.usage.Usage;

/**
 * Anthropic's usage object normalised to Costwise's disjoint token kinds. Anthropic's {@code
 * input_tokens} already excludes cache reads and cache writes, which it reports apart; cache writes
 * are split by lifetime in {@code cache_creation} ({@code ephemeral_5m_input_tokens}, {@code
 * ephemeral_1h_input_tokens}); {@code service_tier} is kept as the usage's service tier.
 * Extended-thinking tokens are inside {@code output_tokens} and billed at the output rate, so they
 * stay there. Public for the integrations of frameworks that hand over Anthropic's own usage object
 * (Spring AI).
 */
public final class AnthropicUsage {
  private static final ProviderByHost PROVIDERS =
      new ProviderByHost(
          "anthropic",
          host -> {
            if (host.startsWith("bedrock") && host.endsWith(".amazonaws.com")) {
              return "bedrock";
            }
            return host.endsWith("aiplatform.googleapis.com") ? "vertex_ai" : "anthropic";
          });

  private AnthropicUsage() {}

  /** {@code bedrock}, {@code vertex_ai} or {@code anthropic}, from the endpoint's host. */
  public static String provider(String baseUrl) {
    return PROVIDERS.of(baseUrl);
  }

  /** The record for one message's usage; null when there is no model or no usage. */
  public static Usage of(String provider, String model, JsonNode usage) {
    if (model == null || usage == null || !usage.isObject()) {
      return null;
    }
    long writes = Json.count(usage, "cache_creation_input_tokens");
    long writes5m = writes;
    long writes1h = 0;
    JsonNode byTtl = usage.get("cache_creation");
    if (byTtl != null && byTtl.isObject()) {
      writes1h = Json.count(byTtl, "ephemeral_1h_input_tokens");
      long fiveMinutes = Json.count(byTtl, "ephemeral_5m_input_tokens");
      // the total is authoritative; what the split does not name is a default (5-minute) write
      writes5m = Math.max(fiveMinutes, Math.max(0, writes - writes1h));
      if (writes == 0) {
        writes5m = fiveMinutes;
      }
    }
    return Usage.of(provider, model)
        .inputTokens(Json.count(usage, "input_tokens"))
        .cacheReadTokens(Json.count(usage, "cache_read_input_tokens"))
        .cacheWriteTokens(writes5m)
        .cacheWrite1hTokens(writes1h)
        .outputTokens(Json.count(usage, "output_tokens"))
        .serviceTier(tier(Json.text(usage, "service_tier")))
        .build();
  }

  /**
   * The usage's {@code service_tier} ({@code standard}, {@code priority}, {@code batch}), if sane.
   */
  private static String tier(String t) {
    return t == null || !t.strip().matches("[A-Za-z0-9_-]{1,32}") ? null : t.strip();
  }

  /**
   * Folds a streamed {@code message_delta} usage into the one from {@code message_start}: the
   * delta's figures are cumulative, so each one present replaces the earlier value.
   */
  static void merge(ObjectNode into, JsonNode delta) {
    if (delta == null || !delta.isObject()) {
      return;
    }
    delta
        .fields()
        .forEachRemaining(
            e -> {
              if (!e.getValue().isNull()) {
                into.set(e.getKey(), e.getValue());
              }
            });
  }
}
