package dev.costwise.integration.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.costwise.integration.http.Json;
import dev.costwise.usage.Usage;
import org.junit.jupiter.api.Test;

/** OpenAI's counting rules and endpoints, without the network. */
class OpenAiUsageTest {
  @Test
  void providerFollowsTheEndpoint() {
    assertThat(OpenAiUsage.provider("https://api.openai.com/v1")).isEqualTo("openai");
    assertThat(OpenAiUsage.provider("https://my-res.openai.azure.com/openai/v1"))
        .isEqualTo("azure");
    assertThat(OpenAiUsage.provider("https://my-res.cognitiveservices.azure.com"))
        .isEqualTo("azure");
    assertThat(OpenAiUsage.provider("not a url")).isEqualTo("openai");
  }

  @Test
  void cachedAndReasoningTokensAreTakenOutOfTheirTotals() {
    JsonNode usage =
        Json.parse(
            """
            {"prompt_tokens": 100, "completion_tokens": 50,
             "prompt_tokens_details": {"cached_tokens": 40},
             "completion_tokens_details": {"reasoning_tokens": 30}}
            """);
    Usage u = OpenAiUsage.tokens("openai", "o3", usage);
    assertThat(u.inputTokens()).isEqualTo(60);
    assertThat(u.cacheReadTokens()).isEqualTo(40);
    assertThat(u.outputTokens()).isEqualTo(20);
    assertThat(u.reasoningTokens()).isEqualTo(30);
  }

  @Test
  void inconsistentDetailsNeverGoNegative() {
    JsonNode usage =
        Json.parse(
            """
            {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 99},
             "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 7}}
            """);
    Usage u = OpenAiUsage.tokens("openai", "o3", usage);
    assertThat(u.inputTokens()).isZero();
    assertThat(u.cacheReadTokens()).isEqualTo(10);
    assertThat(u.outputTokens()).isZero();
    assertThat(u.reasoningTokens()).isEqualTo(5);
    assertThat(OpenAiUsage.tokens("openai", null, usage)).isNull();
    assertThat(OpenAiUsage.tokens("openai", "o3", null)).isNull();
  }

  @Test
  void audioTokensAreTakenOutOfTheTextCountsAndTheServiceTierIsKept() {
    Usage u =
        OpenAiUsage.tokens(
            "openai",
            "gpt-4o-audio-preview",
            Json.parse(
                """
                {"prompt_tokens": 1000, "completion_tokens": 600,
                 "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 700},
                 "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 500}}
                """),
            "flex");
    assertThat(u.inputTokens()).isEqualTo(200);
    assertThat(u.cacheReadTokens()).isEqualTo(100);
    assertThat(u.audioInputTokens()).isEqualTo(700);
    assertThat(u.outputTokens()).isEqualTo(100);
    assertThat(u.audioOutputTokens()).isEqualTo(500);
    assertThat(u.serviceTier()).isEqualTo("flex");
    Usage standard =
        OpenAiUsage.tokens("openai", "gpt-4o", Json.parse("{\"prompt_tokens\": 1}"), "default");
    assertThat(standard.serviceTier()).isNull();
  }
}
