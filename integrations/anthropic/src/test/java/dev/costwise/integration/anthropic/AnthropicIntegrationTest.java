package dev.costwise.integration.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.Model;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.costwise.store.StepRow;
import dev.costwise.testing.ActivityHarness;
import dev.costwise.testing.FakeProvider;
import dev.costwise.testing.FakeProvider.Reply;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real anthropic-java client, wrapped once, against a local server answering like Anthropic's
 * Messages API; activity code contains no Costwise call and runs as a real attempt on the Temporal
 * test server; the stored rows equal hand-computed catalog prices per component.
 */
class AnthropicIntegrationTest {
  private static FakeProvider provider;
  private static ActivityHarness harness;
  private static AnthropicClient claude;

  @BeforeAll
  static void start() {
    provider = new FakeProvider();
    harness = ActivityHarness.start();
    claude =
        CostwiseAnthropic.wrap(
            AnthropicOkHttpClient.builder()
                .baseUrl(provider.baseUrl())
                .apiKey("sk-ant-test")
                .maxRetries(2)
                .build());
  }

  @AfterAll
  static void stop() {
    harness.close();
    provider.close();
  }

  @BeforeEach
  void clear() {
    provider.reset();
  }

  private static MessageCreateParams params() {
    return MessageCreateParams.builder()
        .model(Model.CLAUDE_SONNET_4_5)
        .maxTokens(4096)
        .addUserMessage("Write a haiku about otters")
        .build();
  }

  private static String message(String id, String model, String content, String usage) {
    return """
        {"id": "%s", "type": "message", "role": "assistant", "model": "%s",
         "content": [%s], "stop_reason": "end_turn", "stop_sequence": null, "usage": %s}
        """
        .formatted(id, model, content, usage);
  }

  private static final String TEXT = "{\"type\": \"text\", \"text\": \"Otters hold hands.\"}";

  private static StepRow only(String runId) {
    List<StepRow> rows = harness.steps(runId);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  private static String create() {
    return claude.messages().create(params()).id();
  }

  @Test
  void plainMessageIsPricedPerComponent() {
    provider.on(
        "/v1/messages",
        Reply.json(
            message(
                "msg_plain",
                "claude-sonnet-4-5-20250929",
                TEXT,
                """
                {"input_tokens": 1000, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                 "output_tokens": 200, "service_tier": "standard"}
                """)));
    String runId = harness.run("anthropic-plain", AnthropicIntegrationTest::create);

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("anthropic");
    assertThat(row.model()).isEqualTo("claude-sonnet-4-5-20250929");
    assertThat(row.inputCost()).isEqualByComparingTo("0.003"); // 1000 * 3 / M
    assertThat(row.outputCost()).isEqualByComparingTo("0.003"); // 200 * 15 / M
    assertThat(row.costUsd()).isEqualByComparingTo("0.006");
  }

  @Test
  void cacheReadsAndBothCacheWriteLifetimesArePricedApart() {
    provider.on(
        "/v1/messages",
        Reply.json(
            message(
                "msg_cached",
                "claude-sonnet-4-5-20250929",
                TEXT,
                """
                {"input_tokens": 100, "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 5000,
                 "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
                 "output_tokens": 50, "service_tier": "standard"}
                """)));
    String runId = harness.run("anthropic-cached", AnthropicIntegrationTest::create);

    StepRow row = only(runId);
    assertThat(row.counts().inputTokens()).isEqualTo(100);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(5000);
    assertThat(row.counts().cacheWriteTokens()).isEqualTo(1000);
    assertThat(row.counts().cacheWrite1hTokens()).isEqualTo(2000);
    assertThat(row.inputCost()).isEqualByComparingTo("0.0003"); // 100 * 3 / M
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.0015"); // 5000 * 0.30 / M
    assertThat(row.cacheWriteCost()).isEqualByComparingTo("0.00375"); // 1000 * 3.75 / M (1.25x)
    assertThat(row.cacheWrite1hCost()).isEqualByComparingTo("0.012"); // 2000 * 6 / M (2x)
    assertThat(row.outputCost()).isEqualByComparingTo("0.00075"); // 50 * 15 / M
    assertThat(row.costUsd()).isEqualByComparingTo("0.0183");
  }

  /**
   * The searches the answer reports in {@code usage.server_tool_use.web_search_requests} are priced
   * at Anthropic's published $10 per 1,000 searches, on top of the tokens; in a stream the final
   * cumulative delta's count is the one kept.
   */
  @Test
  void webSearchesTheAnswerReportsArePricedPerSearch() {
    provider.on(
        "/v1/messages",
        Reply.json(
            message(
                "msg_search",
                "claude-sonnet-4-5-20250929",
                TEXT,
                """
                {"input_tokens": 1000, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                 "output_tokens": 200, "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 1},
                 "service_tier": "standard"}
                """)));
    String runId = harness.run("anthropic-search", AnthropicIntegrationTest::create);

    StepRow row = only(runId);
    assertThat(row.counts().webSearches()).isEqualTo(3);
    assertThat(row.webSearchCost()).isEqualByComparingTo("0.03"); // 3 * 10 / 1000
    assertThat(row.costUsd()).isEqualByComparingTo("0.036"); // + 1000*3/M + 200*15/M

    provider.on(
        "/v1/messages",
        Reply.sse(
            STREAM_START
                + """
                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":250,"server_tool_use":{"web_search_requests":2}}}

                event: message_stop
                data: {"type":"message_stop"}

                """));
    String streamed = harness.run("anthropic-search-stream", AnthropicIntegrationTest::readStream);
    StepRow s = only(streamed);
    assertThat(s.counts().webSearches()).isEqualTo(2);
    assertThat(s.webSearchCost()).isEqualByComparingTo("0.02");
  }

  @Test
  void thinkingTokensAreOutputTokens() {
    provider.on(
        "/v1/messages",
        Reply.json(
            message(
                "msg_thinking",
                "claude-sonnet-4-5-20250929",
                "{\"type\": \"thinking\", \"thinking\": \"Otters sleep...\", \"signature\": \"c2ln\"}, "
                    + TEXT,
                """
                {"input_tokens": 200, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                 "output_tokens": 1500}
                """)));
    String runId = harness.run("anthropic-thinking", AnthropicIntegrationTest::create);

    StepRow row = only(runId);
    assertThat(row.counts().outputTokens()).isEqualTo(1500);
    assertThat(row.counts().reasoningTokens()).isZero();
    assertThat(row.costUsd()).isEqualByComparingTo("0.0231"); // 200*3/M + 1500*15/M
  }

  private static final String STREAM_START =
      """
      event: message_start
      data: {"type":"message_start","message":{"id":"msg_stream","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":500,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: ping
      data: {"type": "ping"}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Otters"}}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":null,"stop_sequence":null},"usage":{"output_tokens":40}}

      """;

  private static String readStream() {
    try (StreamResponse<RawMessageStreamEvent> stream =
        claude.messages().createStreaming(params())) {
      return Long.toString(stream.stream().count());
    }
  }

  @Test
  void streamedMessageTakesTheLastCumulativeDelta() {
    provider.on(
        "/v1/messages",
        Reply.sse(
            STREAM_START
                + """
                event: content_block_stop
                data: {"type":"content_block_stop","index":0}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":250}}

                event: message_stop
                data: {"type":"message_stop"}

                """));
    String runId = harness.run("anthropic-stream", AnthropicIntegrationTest::readStream);

    StepRow row = only(runId);
    assertThat(row.counts().inputTokens()).isEqualTo(500);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1000);
    assertThat(row.counts().outputTokens()).isEqualTo(250);
    assertThat(row.costUsd()).isEqualByComparingTo("0.00555"); // 500*3/M + 1000*0.3/M + 250*15/M
  }

  @Test
  void aStreamCutOffRecordsWhatWasReported() {
    provider.on("/v1/messages", Reply.sse(STREAM_START));
    String runId = harness.run("anthropic-cut", AnthropicIntegrationTest::readStream);

    StepRow row = only(runId);
    assertThat(row.counts().outputTokens()).isEqualTo(40);
    assertThat(row.costUsd()).isEqualByComparingTo("0.0024"); // 500*3/M + 1000*0.3/M + 40*15/M
  }

  @Test
  void asyncCallCompletingOnAnotherThreadIsRecorded() {
    provider.on(
        "/v1/messages",
        Reply.json(
            message(
                "msg_async",
                "claude-sonnet-4-5-20250929",
                TEXT,
                "{\"input_tokens\": 1000, \"output_tokens\": 100}")));
    AtomicReference<String> completedOn = new AtomicReference<>();
    String runId =
        harness.run(
            "anthropic-async",
            () -> {
              Message m =
                  claude
                      .async()
                      .messages()
                      .create(params())
                      .whenComplete((r, e) -> completedOn.set(Thread.currentThread().getName()))
                      .get();
              return m.id();
            });

    assertThat(completedOn.get()).isNotNull();
    assertThat(provider.received().get(0).headers()).doesNotContainKey("x-costwise-attempt");
    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.0045"); // 1000*3/M + 100*15/M
  }

  @Test
  void aRetriedCallIsRecordedOnce() {
    provider.on(
        "/v1/messages",
        Reply.json(
                429,
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}")
            .header("retry-after-ms", "10"),
        Reply.json(
                529,
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")
            .header("retry-after-ms", "10"),
        Reply.json(
            message(
                "msg_retried",
                "claude-sonnet-4-5-20250929",
                TEXT,
                "{\"input_tokens\": 1000, \"output_tokens\": 200}")));
    String runId = harness.run("anthropic-retry", AnthropicIntegrationTest::create);

    assertThat(provider.received()).hasSize(3);
    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.006");
  }

  @Test
  void twoLayersOverOneCallCountItOnce() {
    AnthropicClient twice = CostwiseAnthropic.wrap(claude);
    provider.on(
        "/v1/messages",
        Reply.json(
            message(
                "msg_layers",
                "claude-sonnet-4-5-20250929",
                TEXT,
                "{\"input_tokens\": 1000, \"output_tokens\": 200}")));
    String runId = harness.run("anthropic-layers", () -> twice.messages().create(params()).id());

    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.006");
  }

  @Test
  void anUnknownModelIsStoredUnpricedNeverZero() {
    provider.on(
        "/v1/messages",
        Reply.json(
            message(
                "msg_unknown",
                "claude-future-9",
                TEXT,
                "{\"input_tokens\": 10, \"output_tokens\": 5}")));
    String runId = harness.run("anthropic-unknown", AnthropicIntegrationTest::create);

    StepRow row = only(runId);
    assertThat(row.priced()).isFalse();
    assertThat(row.costUsd()).isNull();
    assertThat(row.unpricedReason()).contains("claude-future-9");
  }
}
