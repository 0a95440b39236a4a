package dev.costwise.integration.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.store.StepRow;
import dev.costwise.testing.ActivityHarness;
import dev.costwise.testing.FakeProvider;
import dev.costwise.testing.FakeProvider.Reply;
import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real LangChain4j chat models (OpenAI and Anthropic modules) with the Costwise listener, against a
 * local server answering like each provider; activity code calls LangChain4j only, runs as a real
 * attempt on the Temporal test server, and the stored rows equal hand-computed catalog prices.
 */
class LangChain4jIntegrationTest {
  private static final ChatModelListener COSTWISE = new CostwiseChatModelListener();
  private static FakeProvider provider;
  private static ActivityHarness harness;

  @BeforeAll
  static void start() {
    provider = new FakeProvider();
    harness = ActivityHarness.start();
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

  private static ChatModel openAi(String model, ChatModelListener... listeners) {
    return OpenAiChatModel.builder()
        .baseUrl(provider.baseUrl() + "/v1")
        .apiKey("sk-test")
        .modelName(model)
        .maxRetries(2)
        .listeners(List.of(listeners))
        .build();
  }

  private static String completion(String id, String model, String usage) {
    return """
        {"id": "%s", "object": "chat.completion", "created": 1741569952, "model": "%s",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Otters float."},
                      "logprobs": null, "finish_reason": "stop"}],
         "usage": %s}
        """
        .formatted(id, model, usage);
  }

  private static final String CACHED_REASONING_USAGE =
      """
      {"prompt_tokens": 2000, "completion_tokens": 1000, "total_tokens": 3000,
       "prompt_tokens_details": {"cached_tokens": 1500},
       "completion_tokens_details": {"reasoning_tokens": 800}}
      """;

  private static StepRow only(String runId) {
    List<StepRow> rows = harness.steps(runId);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  @Test
  void openAiUsageTakesCachedAndReasoningTokensOut() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-lc1", "o4-mini-2025-04-16", CACHED_REASONING_USAGE)));
    ChatModel model = openAi("o4-mini", COSTWISE);
    String runId = harness.run("lc4j-openai", () -> model.chat("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("openai");
    assertThat(row.model()).isEqualTo("o4-mini-2025-04-16");
    assertThat(row.counts().inputTokens()).isEqualTo(500);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1500);
    assertThat(row.counts().outputTokens()).isEqualTo(200);
    assertThat(row.counts().reasoningTokens()).isEqualTo(800);
    // 500*1.1/M + 1500*0.275/M + 200*4.4/M + 800*4.4/M = 0.00055 + 0.0004125 + 0.00088 + 0.00352
    assertThat(row.costUsd()).isEqualByComparingTo("0.0053625");
  }

  @Test
  void aStreamCompletingOnAnotherThreadIsRecorded() {
    String usage = CACHED_REASONING_USAGE.replace("\n", " ");
    provider.on(
        "/v1/chat/completions",
        Reply.sse(
            """
            data: {"id":"chatcmpl-lc2","object":"chat.completion.chunk","created":1,"model":"o4-mini-2025-04-16","choices":[{"index":0,"delta":{"role":"assistant","content":"Otters"},"finish_reason":null}]}

            data: {"id":"chatcmpl-lc2","object":"chat.completion.chunk","created":1,"model":"o4-mini-2025-04-16","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: {"id":"chatcmpl-lc2","object":"chat.completion.chunk","created":1,"model":"o4-mini-2025-04-16","choices":[],"usage":%s}

            data: [DONE]

            """
                .formatted(usage)));
    OpenAiStreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .baseUrl(provider.baseUrl() + "/v1")
            .apiKey("sk-test")
            .modelName("o4-mini")
            .listeners(List.of(COSTWISE))
            .build();
    AtomicReference<String> completedOn = new AtomicReference<>();
    String runId =
        harness.run(
            "lc4j-stream",
            () -> {
              CompletableFuture<ChatResponse> done = new CompletableFuture<>();
              model.chat(
                  "Write about otters",
                  new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(String partial) {}

                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                      completedOn.set(Thread.currentThread().getName());
                      done.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                      done.completeExceptionally(error);
                    }
                  });
              return done.get(30, TimeUnit.SECONDS).aiMessage().text();
            });

    assertThat(completedOn.get()).doesNotStartWith("Activity");
    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.0053625");
  }

  @Test
  void aRetriedCallIsRecordedOnce() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached\"}}"),
        Reply.json(
            completion(
                "chatcmpl-lc3",
                "gpt-4o-2024-08-06",
                "{\"prompt_tokens\": 1200, \"completion_tokens\": 300, \"total_tokens\": 1500}")));
    ChatModel model = openAi("gpt-4o", COSTWISE);
    String runId = harness.run("lc4j-retry", () -> model.chat("Write about otters"));

    assertThat(provider.received()).hasSize(2);
    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.006"); // 1200*2.5/M + 300*10/M
  }

  @Test
  void twoLayersSeeingOneCallCountItOnce() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            completion(
                "chatcmpl-lc4",
                "gpt-4o-2024-08-06",
                "{\"prompt_tokens\": 1200, \"completion_tokens\": 300, \"total_tokens\": 1500}")));
    ChatModel model = openAi("gpt-4o", COSTWISE, new CostwiseChatModelListener());
    String runId = harness.run("lc4j-layers", () -> model.chat("Write about otters"));

    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.006");
  }

  @Test
  void anthropicCacheReadsAndWritesAreAlreadyApartFromInput() {
    provider.on(
        "/v1/messages",
        Reply.json(
            """
            {"id": "msg_lc5", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
             "content": [{"type": "text", "text": "Otters."}], "stop_reason": "end_turn", "stop_sequence": null,
             "usage": {"input_tokens": 100, "cache_creation_input_tokens": 1000,
                       "cache_read_input_tokens": 5000, "output_tokens": 50}}
            """));
    ChatModel model =
        AnthropicChatModel.builder()
            .baseUrl(provider.baseUrl() + "/v1/")
            .apiKey("sk-ant-test")
            .modelName("claude-sonnet-4-5")
            .maxTokens(1024)
            .listeners(List.of(COSTWISE))
            .build();
    String runId = harness.run("lc4j-anthropic", () -> model.chat("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("anthropic");
    assertThat(row.counts().inputTokens()).isEqualTo(100);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(5000);
    assertThat(row.counts().cacheWriteTokens()).isEqualTo(1000);
    // 100*3/M + 5000*0.3/M + 1000*3.75/M + 50*15/M = 0.0003 + 0.0015 + 0.00375 + 0.00075
    assertThat(row.costUsd()).isEqualByComparingTo("0.0063");
  }

  @Test
  void anUnknownModelIsStoredUnpricedNeverZero() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            completion(
                "chatcmpl-lc6",
                "house-model-7",
                "{\"prompt_tokens\": 10, \"completion_tokens\": 5, \"total_tokens\": 15}")));
    ChatModel model = openAi("house-model-7", COSTWISE);
    String runId = harness.run("lc4j-unknown", () -> model.chat("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.priced()).isFalse();
    assertThat(row.costUsd()).isNull();
  }
}
