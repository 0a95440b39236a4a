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
        .serviceTier(tier(serviceTier))
        .build();
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
