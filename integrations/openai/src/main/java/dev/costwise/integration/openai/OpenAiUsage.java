package dev.costwise.integration.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.costwise.integration.http.Json;
import dev.costwise.integration.http.ProviderByHost;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;

/**
 * OpenAI's usage objects normalised to Costwise's disjoint token kinds. OpenAI counts cached prompt
 * tokens inside the prompt count and reasoning tokens inside the completion count, so input is
 * prompt minus cached and output is completion minus reasoning. Public for the integrations of
 * frameworks that hand over OpenAI's own usage object (Spring AI).
 */
public final class OpenAiUsage {
  private static final ProviderByHost PROVIDERS =
      new ProviderByHost(
          "openai",
          host ->
              host.endsWith(".openai.azure.com")
                      || host.endsWith(".cognitiveservices.azure.com")
                      || host.endsWith(".services.ai.azure.com")
                  ? "azure"
                  : "openai");

  private OpenAiUsage() {}

  /** {@code azure} for Azure OpenAI endpoints, else {@code openai}. */
  public static String provider(String baseUrl) {
    return PROVIDERS.of(baseUrl);
  }

  /**
   * Chat completions ({@code prompt_tokens}, {@code completion_tokens}) and Responses ({@code
   * input_tokens}, {@code output_tokens}) usage; null when {@code usage} is absent or empty.
   */
  public static Usage tokens(String provider, String model, JsonNode usage) {
    return tokens(provider, model, usage, null);
  }

  /**
   * As {@link #tokens(String, String, JsonNode)}, for a response that ran at {@code serviceTier}
   * (the response's {@code service_tier}: {@code default}, {@code flex}, {@code priority}; null
   * when absent). Audio tokens ({@code audio_tokens} of the token details) are counted apart from
   * the text tokens they are included in.
   */
  public static Usage tokens(String provider, String model, JsonNode usage, String serviceTier) {
    Usage.Builder b = tokenBuilder(provider, model, usage, serviceTier);
    return b == null ? null : b.build();
  }

  /**
   * The usage of a Responses API response ({@code body}, or the {@code response} of a stream's
   * final event): its tokens as {@link #tokens(String, String, JsonNode, String)} counts them, and
   * its web searches, one per {@code web_search_call} item of {@code output}, at the {@code
   * search_context_size} of the web-search tool the response echoes in {@code tools} (null, the
   * default {@code medium}, when it names none). Null when the response reports no usage.
   */
  public static Usage response(String provider, JsonNode body) {
    if (body == null) {
      return null;
    }
    Usage.Builder b =
        tokenBuilder(
            provider, Json.text(body, "model"), body.get("usage"), Json.text(body, "service_tier"));
    if (b == null) {
      return null;
    }
    long searches = 0;
    for (JsonNode item : body.path("output")) {
      if ("web_search_call".equals(Json.text(item, "type"))) {
        searches++;
      }
    }
    return searches == 0 ? b.build() : b.webSearches(searches, searchContextSize(body)).build();
  }

  /** The search context size of the first web-search tool a response lists, if a known one. */
  private static String searchContextSize(JsonNode body) {
    for (JsonNode tool : body.path("tools")) {
      String type = Json.text(tool, "type");
      if (type != null && type.startsWith("web_search")) {
        String size = Json.text(tool, "search_context_size");
        return size != null && Usage.SEARCH_CONTEXT_SIZES.contains(size) ? size : null;
      }
    }
    return null;
  }

  private static Usage.Builder tokenBuilder(
      String provider, String model, JsonNode usage, String serviceTier) {
    if (model == null || usage == null || !usage.isObject()) {
      return null;
    }
    boolean responses = usage.has("input_tokens") && !usage.has("prompt_tokens");
    long prompt = Json.count(usage, responses ? "input_tokens" : "prompt_tokens");
    long completion = Json.count(usage, responses ? "output_tokens" : "completion_tokens");
    JsonNode in = usage.get(responses ? "input_tokens_details" : "prompt_tokens_details");
    JsonNode out = usage.get(responses ? "output_tokens_details" : "completion_tokens_details");
    long cached = Math.min(prompt, Json.count(in, "cached_tokens"));
    long audioIn = Math.min(prompt - cached, Json.count(in, "audio_tokens"));
    long reasoning = Math.min(completion, Json.count(out, "reasoning_tokens"));
    long audioOut = Math.min(completion - reasoning, Json.count(out, "audio_tokens"));
    return Usage.of(provider, model)
        .inputTokens(prompt - cached - audioIn)
        .cacheReadTokens(cached)
        .audioInputTokens(audioIn)
        .outputTokens(completion - reasoning - audioOut)
        .reasoningTokens(reasoning)
        .audioOutputTokens(audioOut)
        .serviceTier(tier(serviceTier));
  }

  /** A tier name as Usage accepts it, or null when it is not a short word. */
  private static String tier(String t) {
    return t == null || !t.strip().matches("[A-Za-z0-9_-]{1,32}") ? null : t.strip();
  }

  /** Transcription usage: billed seconds ({@code type: duration}) or tokens. */
  static Usage transcription(String provider, String model, JsonNode body) {
    if (model == null || body == null) {
      return null;
    }
    JsonNode usage = body.get("usage");
    if (usage != null && "tokens".equals(Json.text(usage, "type"))) {
      return Usage.of(provider, model)
          .inputTokens(Json.count(usage, "input_tokens"))
          .outputTokens(Json.count(usage, "output_tokens"))
          .build();
    }
    JsonNode seconds =
        usage != null && usage.has("seconds") ? usage.get("seconds") : body.get("duration");
    if (seconds == null || !seconds.isNumber()) {
      return null;
    }
    BigDecimal s = seconds.decimalValue().setScale(Usage.SECONDS_SCALE, java.math.RoundingMode.UP);
    return Usage.of(provider, model).audioSeconds(s).build();
  }
}
