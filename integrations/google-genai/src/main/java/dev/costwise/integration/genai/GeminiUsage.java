package dev.costwise.integration.genai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.costwise.integration.http.Json;
import dev.costwise.usage.Usage;
import java.util.Locale;

/**
 * Gemini's {@code usageMetadata} normalised to Costwise's disjoint token kinds. Gemini's {@code
 * promptTokenCount} includes {@code cachedContentTokenCount}, so input is prompt minus cached (plus
 * {@code toolUsePromptTokenCount}, billed as input); {@code thoughtsTokenCount} is reported apart
 * from {@code candidatesTokenCount} and becomes reasoning tokens (priced at the reasoning rate,
 * else the output rate).
 */
final class GeminiUsage {
  private GeminiUsage() {}

  /** {@code vertex_ai} for Vertex AI endpoints, else {@code gemini}. */
  static String provider(String host, String path) {
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    return h.endsWith("aiplatform.googleapis.com") || path.contains("/publishers/")
        ? "vertex_ai"
        : "gemini";
  }

  /** The model named in a {@code .../models/{model}:generateContent} path, or null. */
  static String modelFromPath(String path) {
    int at = path.lastIndexOf("/models/");
    int colon = path.lastIndexOf(':');
    return at < 0 || colon < at ? null : path.substring(at + 8, colon);
  }

  /** The record for one response, or null without usage metadata. */
  static Usage of(String provider, String model, JsonNode usage) {
    if (model == null || usage == null || !usage.isObject()) {
      return null;
    }
    long prompt = Json.count(usage, "promptTokenCount");
    long cached = Math.min(prompt, Json.count(usage, "cachedContentTokenCount"));
    return Usage.of(provider, model)
        .inputTokens(prompt - cached + Json.count(usage, "toolUsePromptTokenCount"))
        .cacheReadTokens(cached)
        .outputTokens(Json.count(usage, "candidatesTokenCount"))
        .reasoningTokens(Json.count(usage, "thoughtsTokenCount"))
        .build();
  }
}
