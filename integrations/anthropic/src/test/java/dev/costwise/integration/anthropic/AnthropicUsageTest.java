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
    // the multi-region and global Vertex endpoints the SDK's Vertex backend uses
    assertThat(AnthropicUsage.provider("https://aiplatform.us.rep.googleapis.com"))
        .isEqualTo("vertex_ai");
    assertThat(AnthropicUsage.provider("https://aiplatform.googleapis.com")).isEqualTo("vertex_ai");
    // a Bedrock interface endpoint in a VPC
    assertThat(
            AnthropicUsage.provider(
                "https://vpce-0a1b2c3d-4e5f6a7b.bedrock-runtime.us-east-1.vpce.amazonaws.com"))
        .isEqualTo("bedrock");
    assertThat(AnthropicUsage.provider("https://bedrock-runtime-fips.us-east-1.amazonaws.com"))
        .isEqualTo("bedrock");
    assertThat(AnthropicUsage.provider("https://storage.googleapis.com")).isEqualTo("anthropic");
    assertThat(AnthropicUsage.provider("https://s3.us-east-1.amazonaws.com"))
        .isEqualTo("anthropic");
  }

  @Test
  void anEndpointThatNamesNoProviderLeavesItToTheModelOrTheMessageId() {
    assertThat(AnthropicUsage.providerOfEndpoint("http://127.0.0.1:8080")).isNull();
    assertThat(AnthropicUsage.providerOfEndpoint("https://llm-gateway.example.com")).isNull();
    assertThat(AnthropicUsage.providerOfEndpoint("https://api.anthropic.com"))
        .isEqualTo("anthropic");

    assertThat(billing(null, "anthropic.claude-3-5-sonnet-20241022-v2:0", "msg_1", "claude-x"))
        .isEqualTo(
            new AnthropicUsage.Billing("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"));
    assertThat(billing(null, "global.anthropic.claude-sonnet-4-5-20250929-v1:0", null, null))
        .isEqualTo(
            new AnthropicUsage.Billing(
                "bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"));
    assertThat(
            billing(null, "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", null, null)
                .provider())
        .isEqualTo("bedrock");
    assertThat(billing(null, "claude-opus-4-1@20250805", null, "claude-opus-4-1-20250805"))
        .isEqualTo(new AnthropicUsage.Billing("vertex_ai", "claude-opus-4-1@20250805"));
    // a gateway that forwards a plain name: the message id tells the cloud, the answer the model
    assertThat(billing(null, "claude-sonnet-4-5", "msg_bdrk_01abc", "claude-sonnet-4-5-20250929"))
        .isEqualTo(new AnthropicUsage.Billing("bedrock", "claude-sonnet-4-5-20250929"));
    assertThat(billing(null, "claude-sonnet-4-5", "msg_vrtx_01abc", "claude-sonnet-4-5-20250929"))
        .isEqualTo(new AnthropicUsage.Billing("vertex_ai", "claude-sonnet-4-5-20250929"));
    assertThat(billing(null, "claude-sonnet-4-5", "msg_01abc", "claude-sonnet-4-5-20250929"))
        .isEqualTo(new AnthropicUsage.Billing("anthropic", "claude-sonnet-4-5-20250929"));
  }

  @Test
  void onACloudTheRequestedIdIsBilledButAnArnIsNotAPriceKey() {
    assertThat(billing("vertex_ai", "claude-opus-4-6", "msg_vrtx_1", "claude-opus-4-6"))
        .isEqualTo(new AnthropicUsage.Billing("vertex_ai", "claude-opus-4-6"));
    assertThat(
            billing(
                "bedrock",
                "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                "msg_bdrk_1",
                "claude-haiku-4-5-20251001"))
        .isEqualTo(
            new AnthropicUsage.Billing("bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0"));
    String arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
    assertThat(billing("bedrock", arn, "msg_bdrk_1", "claude-haiku-4-5-20251001"))
        .isEqualTo(new AnthropicUsage.Billing("bedrock", "claude-haiku-4-5-20251001"));
    assertThat(billing(null, arn, null, "claude-haiku-4-5-20251001").provider())
        .isEqualTo("bedrock");
    // Anthropic's API names the snapshot it served
    assertThat(billing("anthropic", null, "msg_01", "claude-sonnet-4-5-20250929"))
        .isEqualTo(new AnthropicUsage.Billing("anthropic", "claude-sonnet-4-5-20250929"));
  }

  private static AnthropicUsage.Billing billing(
      String endpoint, String requested, String id, String answered) {
    return AnthropicUsage.billing(endpoint, requested, id, answered);
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
