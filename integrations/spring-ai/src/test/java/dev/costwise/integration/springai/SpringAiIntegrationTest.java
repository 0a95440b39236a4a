package dev.costwise.integration.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientAsync;
import dev.costwise.integration.openai.CostwiseOpenAI;
import dev.costwise.store.StepRow;
import dev.costwise.testing.ActivityHarness;
import dev.costwise.testing.FakeProvider;
import dev.costwise.testing.FakeProvider.Reply;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.anthropic.AnthropicChatModel;
import org.springframework.ai.anthropic.AnthropicChatOptions;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.setup.OpenAiSetup;
import org.springframework.ai.tool.annotation.Tool;

/**
 * The real Spring AI {@link OpenAiChatModel} (over openai-java), pointed at a local server
 * answering like OpenAI's chat completions API, reporting to an observation registry with the
 * Costwise handler. Activity code calls Spring AI only and runs as a real attempt on the Temporal
 * test server; the stored rows equal hand-computed catalog prices, per component.
 */
class SpringAiIntegrationTest {
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

  private static ObservationRegistry registry(ObservationHandler<?>... handlers) {
    ObservationRegistry registry = ObservationRegistry.create();
    for (ObservationHandler<?> h : handlers) {
      registry.observationConfig().observationHandler(h);
    }
    return registry;
  }

  private static OpenAiChatOptions options(String model) {
    return OpenAiChatOptions.builder()
        .baseUrl(provider.baseUrl() + "/v1")
        .apiKey("sk-test")
        .model(model)
        .maxRetries(0)
        .build();
  }

  private static OpenAiChatModel model(String model) {
    return OpenAiChatModel.builder()
        .options(options(model))
        .observationRegistry(registry(new CostwiseChatObservationHandler()))
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

  private static final String PLAIN_USAGE =
      "{\"prompt_tokens\": 1200, \"completion_tokens\": 300, \"total_tokens\": 1500}";

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

  private static String text(ChatResponse response) {
    return response.getResult().getOutput().getText();
  }

  @Test
  void aPlainCallIsPricedPerComponent() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-sa1", "gpt-4o-2024-08-06", PLAIN_USAGE)));
    OpenAiChatModel model = model("gpt-4o");
    String runId = harness.run("springai-plain", () -> model.call("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("openai");
    assertThat(row.model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(row.counts().inputTokens()).isEqualTo(1200);
    assertThat(row.counts().outputTokens()).isEqualTo(300);
    assertThat(row.counts().cacheReadTokens()).isZero();
    assertThat(row.counts().reasoningTokens()).isZero();
    assertThat(row.inputCost()).isEqualByComparingTo("0.003"); // 1200 * 2.5 / 1M
    assertThat(row.outputCost()).isEqualByComparingTo("0.003"); // 300 * 10 / 1M
    assertThat(row.costUsd()).isEqualByComparingTo("0.006");
  }

  @Test
  void aCachedPromptIsTakenOutOfTheInput() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            completion(
                "chatcmpl-sa2",
                "gpt-4o-2024-08-06",
                """
                {"prompt_tokens": 2000, "completion_tokens": 100, "total_tokens": 2100,
                 "prompt_tokens_details": {"cached_tokens": 1536}}
                """)));
    OpenAiChatModel model = model("gpt-4o");
    String runId = harness.run("springai-cached", () -> model.call("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.counts().inputTokens()).isEqualTo(464);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1536);
    assertThat(row.counts().outputTokens()).isEqualTo(100);
    assertThat(row.inputCost()).isEqualByComparingTo("0.00116"); // 464 * 2.5 / 1M
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.00192"); // 1536 * 1.25 / 1M
    assertThat(row.outputCost()).isEqualByComparingTo("0.001"); // 100 * 10 / 1M
    assertThat(row.costUsd()).isEqualByComparingTo("0.00408");
  }

  @Test
  void reasoningIsTakenOutOfTheOutput() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-sa3", "o4-mini-2025-04-16", CACHED_REASONING_USAGE)));
    OpenAiChatModel model = model("o4-mini");
    String runId = harness.run("springai-reasoning", () -> model.call("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.model()).isEqualTo("o4-mini-2025-04-16");
    assertThat(row.counts().inputTokens()).isEqualTo(500);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1500);
    assertThat(row.counts().outputTokens()).isEqualTo(200);
    assertThat(row.counts().reasoningTokens()).isEqualTo(800);
    assertThat(row.inputCost()).isEqualByComparingTo("0.00055"); // 500 * 1.1 / 1M
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.0004125"); // 1500 * 0.275 / 1M
    assertThat(row.outputCost()).isEqualByComparingTo("0.00088"); // 200 * 4.4 / 1M
    assertThat(row.reasoningCost()).isEqualByComparingTo("0.00352"); // 800 * 4.4 / 1M
    assertThat(row.costUsd()).isEqualByComparingTo("0.0053625");
  }

  private static Reply stream(String id) {
    String usage = CACHED_REASONING_USAGE.replace("\n", " ");
    return Reply.sse(
        """
        data: {"id":"%1$s","object":"chat.completion.chunk","created":1,"model":"o4-mini-2025-04-16","choices":[{"index":0,"delta":{"role":"assistant","content":"Otters"},"finish_reason":null}]}

        data: {"id":"%1$s","object":"chat.completion.chunk","created":1,"model":"o4-mini-2025-04-16","choices":[{"index":0,"delta":{"content":" float."},"finish_reason":"stop"}]}

        data: {"id":"%1$s","object":"chat.completion.chunk","created":1,"model":"o4-mini-2025-04-16","choices":[],"usage":%2$s}

        data: [DONE]

        """
            .formatted(id, usage));
  }

  /**
   * The Costwise handler, and a latch the activity or the test can wait on: Spring AI stops a
   * streamed call's observation only after the subscriber was told the stream completed, so an
   * activity that returns right then races the stop. {@code hold} keeps the stop back until
   * released.
   */
  static final class Stopped implements ObservationHandler<ChatModelObservationContext> {
    final CostwiseChatObservationHandler costwise = new CostwiseChatObservationHandler();
    final CountDownLatch stopped = new CountDownLatch(1);
    final CountDownLatch hold;

    Stopped(boolean held) {
      hold = new CountDownLatch(held ? 1 : 0);
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
      return costwise.supportsContext(context);
    }

    @Override
    public void onStart(ChatModelObservationContext context) {
      costwise.onStart(context);
    }

    @Override
    public void onStop(ChatModelObservationContext context) {
      try {
        hold.await(30, TimeUnit.SECONDS);
        costwise.onStop(context);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        stopped.countDown();
      }
    }

    void awaitStop() throws InterruptedException {
      assertThat(stopped.await(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static OpenAiChatModel model(String model, ObservationHandler<?> handler) {
    return OpenAiChatModel.builder()
        .options(options(model))
        .observationRegistry(registry(handler))
        .build();
  }

  @Test
  void aStreamIsRecordedFromTheAggregatedCountsCachedTokensAtTheInputRate() {
    provider.on("/v1/chat/completions", stream("chatcmpl-sa4"));
    Stopped handler = new Stopped(false);
    OpenAiChatModel model = model("o4-mini", handler);
    String runId =
        harness.run(
            "springai-stream",
            () -> {
              List<String> parts =
                  model.stream("Write about otters").collectList().block(Duration.ofSeconds(30));
              handler.awaitStop(); // the activity goes on after the stream, as most do
              return String.valueOf(parts.size());
            });

    assertThat(provider.received().get(0).body()).contains("\"include_usage\":true");
    // Spring AI's stream aggregator keeps only the prompt and completion counts: OpenAI's prompt
    // count includes the 1500 cached tokens (priced here as input) and its completion count the
    // 800 reasoning tokens (same rate as output).
    StepRow row = only(runId);
    assertThat(row.model()).isEqualTo("o4-mini-2025-04-16");
    assertThat(row.counts().inputTokens()).isEqualTo(2000);
    assertThat(row.counts().cacheReadTokens()).isZero();
    assertThat(row.counts().outputTokens()).isEqualTo(1000);
    assertThat(row.inputCost()).isEqualByComparingTo("0.0022"); // 2000 * 1.1 / 1M
    assertThat(row.outputCost()).isEqualByComparingTo("0.0044"); // 1000 * 4.4 / 1M
    assertThat(row.costUsd()).isEqualByComparingTo("0.0066");
  }

  @Test
  void aStreamWhoseObservationStopsAfterTheAttemptIsCountedLateNotStored() throws Exception {
    provider.on("/v1/chat/completions", stream("chatcmpl-sa4b"));
    Stopped handler = new Stopped(true);
    OpenAiChatModel model = model("o4-mini", handler);
    double lateBefore = harness.count("costwise.usage.late");
    String runId =
        harness.run(
            "springai-stream-late",
            () ->
                String.valueOf(
                    model.stream("Write about otters")
                        .collectList()
                        .block(Duration.ofSeconds(30))
                        .size()));
    handler.hold.countDown(); // the attempt has ended; now Spring AI stops the observation
    handler.awaitStop();

    assertThat(harness.steps(runId)).isEmpty();
    assertThat(harness.count("costwise.usage.late") - lateBefore).isEqualTo(1.0);
  }

  private static OpenAIClient client(ObservationRegistry registry) {
    return OpenAiSetup.setupSyncClient(
        provider.baseUrl() + "/v1",
        "sk-test",
        null,
        null,
        null,
        null,
        false,
        false,
        null,
        Duration.ofSeconds(30),
        0,
        null,
        Map.of(),
        registry,
        null,
        List.of());
  }

  private static OpenAIClientAsync asyncClient(ObservationRegistry registry) {
    return OpenAiSetup.setupAsyncClient(
        provider.baseUrl() + "/v1",
        "sk-test",
        null,
        null,
        null,
        null,
        false,
        false,
        null,
        Duration.ofSeconds(30),
        0,
        null,
        Map.of(),
        registry,
        null,
        List.of());
  }

  @Test
  void aStreamUnderTheOpenAiJavaLayerIsExactAndCountedOnce() {
    provider.on("/v1/chat/completions", stream("chatcmpl-sa5"));
    ObservationRegistry registry = registry(new CostwiseChatObservationHandler());
    OpenAiChatModel model =
        OpenAiChatModel.builder()
            .options(options("o4-mini"))
            .openAiClient(CostwiseOpenAI.wrap(client(registry)))
            .openAiClientAsync(CostwiseOpenAI.wrap(asyncClient(registry)))
            .observationRegistry(registry)
            .build();
    String runId =
        harness.run(
            "springai-stream-layers",
            () ->
                String.join(
                    "",
                    model.stream("Write about otters")
                        .collectList()
                        .block(Duration.ofSeconds(30))));

    StepRow row = only(runId);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1500);
    assertThat(row.counts().reasoningTokens()).isEqualTo(800);
    assertThat(row.costUsd()).isEqualByComparingTo("0.0053625");
  }

  @Test
  void theOpenAiJavaLayerAndSpringAiSeeingOneCallCountItOnce() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-sa6", "gpt-4o-2024-08-06", PLAIN_USAGE)));
    ObservationRegistry registry =
        registry(new CostwiseChatObservationHandler(), new CostwiseChatObservationHandler());
    OpenAiChatModel model =
        OpenAiChatModel.builder()
            .options(options("gpt-4o"))
            .openAiClient(CostwiseOpenAI.wrap(client(registry)))
            .openAiClientAsync(asyncClient(registry))
            .observationRegistry(registry)
            .build();
    String runId = harness.run("springai-layers", () -> model.call("Write about otters"));

    assertThat(provider.received()).hasSize(1);
    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.006");
  }

  /** A tool the model asks for. */
  static final class OtterTools {
    @Tool(description = "How many otters live in a river")
    public String otterCount(String river) {
      return "12 otters in " + river;
    }
  }

  @Test
  void eachCallOfAToolLoopCountsWithItsOwnUsageNotTheRunningTotal() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            """
            {"id": "chatcmpl-sa7a", "object": "chat.completion", "created": 1741569952,
             "model": "gpt-4o-2024-08-06",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": null,
               "tool_calls": [{"id": "call_1", "type": "function",
                 "function": {"name": "otterCount", "arguments": "{\\"river\\": \\"Thames\\"}"}}]},
               "logprobs": null, "finish_reason": "tool_calls"}],
             "usage": {"prompt_tokens": 1000, "completion_tokens": 20, "total_tokens": 1020}}
            """),
        Reply.json(
            completion(
                "chatcmpl-sa7b",
                "gpt-4o-2024-08-06",
                "{\"prompt_tokens\": 1100, \"completion_tokens\": 50, \"total_tokens\": 1150}")));
    OpenAiChatModel model = model("gpt-4o");
    ChatClient client = ChatClient.create(model);
    ChatResponse[] last = new ChatResponse[1];
    String runId =
        harness.run(
            "springai-tools",
            () -> {
              last[0] =
                  client
                      .prompt()
                      .user("How many otters live in the Thames?")
                      .tools(new OtterTools())
                      .call()
                      .chatResponse();
              return text(last[0]);
            });

    assertThat(provider.received()).hasSize(2);
    assertThat(provider.received().get(1).body()).contains("12 otters in Thames");
    // What the loop hands back is the running total of both calls ...
    assertThat(last[0].getMetadata().getUsage().getPromptTokens()).isEqualTo(2100);
    assertThat(last[0].getMetadata().getUsage().getCompletionTokens()).isEqualTo(70);
    // ... each call is stored with its own usage.
    List<StepRow> rows = harness.steps(runId);
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).counts().inputTokens()).isEqualTo(1000);
    assertThat(rows.get(0).counts().outputTokens()).isEqualTo(20);
    assertThat(rows.get(0).costUsd()).isEqualByComparingTo("0.0027"); // 1000*2.5/M + 20*10/M
    assertThat(rows.get(1).counts().inputTokens()).isEqualTo(1100);
    assertThat(rows.get(1).counts().outputTokens()).isEqualTo(50);
    assertThat(rows.get(1).costUsd()).isEqualByComparingTo("0.00325"); // 1100*2.5/M + 50*10/M
  }

  @Test
  void anUnknownModelIsStoredUnpricedNeverZero() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            completion(
                "chatcmpl-sa8",
                "house-model-7",
                "{\"prompt_tokens\": 10, \"completion_tokens\": 5, \"total_tokens\": 15}")));
    OpenAiChatModel model = model("house-model-7");
    String runId = harness.run("springai-unknown", () -> model.call("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.model()).isEqualTo("house-model-7");
    assertThat(row.counts().inputTokens()).isEqualTo(10);
    assertThat(row.priced()).isFalse();
    assertThat(row.costUsd()).isNull();
  }

  @Test
  void aRetriedCallIsRecordedOnce() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached\"}}"),
        Reply.json(completion("chatcmpl-sa9", "gpt-4o-2024-08-06", PLAIN_USAGE)));
    OpenAiChatModel model =
        OpenAiChatModel.builder()
            .options(options("gpt-4o").mutate().maxRetries(2).build())
            .observationRegistry(registry(new CostwiseChatObservationHandler()))
            .build();
    String runId = harness.run("springai-retry", () -> model.call("Write about otters"));

    assertThat(provider.received()).hasSize(2);
    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.006");
  }

  @Test
  void anthropicCacheReadsAndWritesByLifetimeAreApartFromInput() {
    provider.on(
        "/v1/messages",
        Reply.json(
            """
            {"id": "msg_sa10", "type": "message", "role": "assistant",
             "model": "claude-sonnet-4-5-20250929",
             "content": [{"type": "text", "text": "Otters."}], "stop_reason": "end_turn",
             "stop_sequence": null,
             "usage": {"input_tokens": 100, "cache_creation_input_tokens": 3000,
                       "cache_read_input_tokens": 5000, "output_tokens": 50,
                       "cache_creation": {"ephemeral_5m_input_tokens": 1000,
                                          "ephemeral_1h_input_tokens": 2000}}}
            """));
    AnthropicChatModel model =
        AnthropicChatModel.builder()
            .options(
                AnthropicChatOptions.builder()
                    .baseUrl(provider.baseUrl())
                    .apiKey("sk-ant-test")
                    .model("claude-sonnet-4-5")
                    .maxTokens(1024)
                    .maxRetries(0)
                    .build())
            .observationRegistry(registry(new CostwiseChatObservationHandler()))
            .build();
    String runId = harness.run("springai-anthropic", () -> model.call("Write about otters"));

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("anthropic");
    assertThat(row.model()).isEqualTo("claude-sonnet-4-5-20250929");
    assertThat(row.counts().inputTokens()).isEqualTo(100);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(5000);
    assertThat(row.counts().cacheWriteTokens()).isEqualTo(1000);
    assertThat(row.counts().cacheWrite1hTokens()).isEqualTo(2000);
    assertThat(row.counts().outputTokens()).isEqualTo(50);
    assertThat(row.inputCost()).isEqualByComparingTo("0.0003"); // 100 * 3 / 1M
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.0015"); // 5000 * 0.3 / 1M
    assertThat(row.cacheWriteCost()).isEqualByComparingTo("0.00375"); // 1000 * 3.75 / 1M
    assertThat(row.cacheWrite1hCost()).isEqualByComparingTo("0.012"); // 2000 * 6 / 1M
    assertThat(row.outputCost()).isEqualByComparingTo("0.00075"); // 50 * 15 / 1M
    assertThat(row.costUsd()).isEqualByComparingTo("0.0183");
  }

  @Test
  void aFailedCallRecordsNothing() {
    provider.on(
        "/v1/chat/completions", Reply.json(500, "{\"error\":{\"message\":\"Server error\"}}"));
    OpenAiChatModel model = model("gpt-4o");
    String runId =
        harness.run(
            "springai-failed",
            () -> {
              try {
                model.call(new Prompt("Write about otters"));
                return "answered";
              } catch (RuntimeException e) {
                return "failed";
              }
            });

    assertThat(harness.steps(runId)).isEmpty();
  }
}
