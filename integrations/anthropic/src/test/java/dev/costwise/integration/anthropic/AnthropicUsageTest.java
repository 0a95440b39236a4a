package dev.costwise.integration.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.integration.http.Json;
import dev.costwise.usage.Usage;
import org.junit.jupiter.api.Test;

/** Anthropic's counting rules and backends, without the network. */
class AnthropicUsageTest {
  @Test
  void providerFollowsTheBackend() {
    assertThat(AnthropicUsage.provider("https://api.anthropic.com")).isEqualTo("anthropic");
    assertThat(AnthropicUsage.provider("https://bedrock-runtime.us-east-1.amazonaws.com"))
        .isEqualTo("bedrock");
    assertThat(AnthropicUsage.provider("https://us-east5-aiplatform.googleapis.com"))
        .isEqualTo("vertex_ai");
  }

  @Test
  void cacheWritesWithoutASplitAreDefaultLifetimeWrites() {
    Usage u =
        AnthropicUsage.of(
            "anthropic",
            "claude-sonnet-4-5",
            Json.parse("{\"input_tokens\": 5, \"cache_creation_input_tokens\": 700}"));
    assertThat(u.cacheWriteTokens()).isEqualTo(700);
    assertThat(u.cacheWrite1hTokens()).isZero();
  }

  @Test
  void theTotalIsKeptWhenTheSplitNamesOnlyPart() {
    Usage u =
        AnthropicUsage.of(
            "anthropic",
            "claude-sonnet-4-5",
            Json.parse(
                """
                {"cache_creation_input_tokens": 700,
                 "cache_creation": {"ephemeral_1h_input_tokens": 300}}
                """));
    assertThat(u.cacheWriteTokens()).isEqualTo(400);
    assertThat(u.cacheWrite1hTokens()).isEqualTo(300);
  }

  @Test
  void theServiceTierOfTheUsageIsKept() {
    Usage u =
        AnthropicUsage.of(
            "anthropic",
            "claude-sonnet-4-5",
            Json.parse(
                "{\"input_tokens\": 5, \"output_tokens\": 2, \"service_tier\": \"priority\"}"));
    assertThat(u.serviceTier()).isEqualTo("priority");
  }
}
