package dev.costwise.integration.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.ChatModel;
import com.openai.models.audio.AudioModel;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.audio.speech.SpeechModel;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImageModel;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.costwise.store.StepRow;
import dev.costwise.testing.ActivityHarness;
import dev.costwise.testing.FakeProvider;
import dev.costwise.testing.FakeProvider.Reply;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real openai-java client, wrapped once, pointed at a local server that answers like OpenAI's
 * API; activity code calls the SDK with no Costwise call, runs as a real attempt on the Temporal
 * test server, and the stored rows are checked against hand-computed catalog prices.
 */
class OpenAiIntegrationTest {
  private static FakeProvider provider;
  private static ActivityHarness harness;
  private static OpenAIClient openai;

  @BeforeAll
  static void start() {
    provider = new FakeProvider();
    harness = ActivityHarness.start();
    openai =
        CostwiseOpenAI.wrap(
            OpenAIOkHttpClient.builder()
                .baseUrl(provider.baseUrl() + "/v1")
                .apiKey("sk-test")
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

  private static ChatCompletionCreateParams chat(String model) {
    return ChatCompletionCreateParams.builder()
        .model(ChatModel.of(model))
        .addUserMessage("Write a haiku about otters")
        .build();
  }

  private static String completion(String id, String model, String usage) {
    return """
        {"id": "%s", "object": "chat.completion", "created": 1741569952, "model": "%s",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Otters float.", "refusal": null,
                      "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
         "usage": %s, "service_tier": "default"}
        """
        .formatted(id, model, usage);
  }

  private static String chatUsage(long prompt, long cached, long completion, long reasoning) {
    return """
        {"prompt_tokens": %d, "completion_tokens": %d, "total_tokens": %d,
         "prompt_tokens_details": {"cached_tokens": %d, "audio_tokens": 0},
         "completion_tokens_details": {"reasoning_tokens": %d, "audio_tokens": 0,
                                       "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
        """
        .formatted(prompt, completion, prompt + completion, cached, reasoning);
  }

  private static StepRow only(String runId) {
    List<StepRow> rows = harness.steps(runId);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  @Test
  void plainChatCompletionIsPricedPerComponent() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-plain", "gpt-4o-2024-08-06", chatUsage(1200, 0, 300, 0))));
    String runId =
        harness.run(
            "openai-plain",
            () ->
                openai
                    .chat()
                    .completions()
                    .create(chat("gpt-4o"))
                    .choices()
                    .get(0)
                    .message()
                    .content()
                    .orElse(""));

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("openai");
    assertThat(row.model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(row.pricedModel()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(row.counts().inputTokens()).isEqualTo(1200);
    assertThat(row.counts().outputTokens()).isEqualTo(300);
    assertThat(row.inputCost()).isEqualByComparingTo("0.003"); // 1200 * 2.5 / M
    assertThat(row.outputCost()).isEqualByComparingTo("0.003"); // 300 * 10 / M
    assertThat(row.costUsd()).isEqualByComparingTo("0.006");
  }

  @Test
  void cachedPromptTokensAreTakenOutOfTheInput() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            completion("chatcmpl-cached", "gpt-4o-2024-08-06", chatUsage(2000, 1500, 100, 0))));
    String runId =
        harness.run("openai-cached", () -> openai.chat().completions().create(chat("gpt-4o")).id());

    StepRow row = only(runId);
    assertThat(row.counts().inputTokens()).isEqualTo(500);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1500);
    assertThat(row.inputCost()).isEqualByComparingTo("0.00125"); // 500 * 2.5 / M
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.001875"); // 1500 * 1.25 / M
    assertThat(row.outputCost()).isEqualByComparingTo("0.001"); // 100 * 10 / M
    assertThat(row.costUsd()).isEqualByComparingTo("0.004125");
  }

  @Test
  void reasoningTokensAreTakenOutOfTheOutput() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            completion("chatcmpl-think", "o4-mini-2025-04-16", chatUsage(100, 0, 1000, 800))));
    String runId =
        harness.run(
            "openai-reasoning", () -> openai.chat().completions().create(chat("o4-mini")).id());

    StepRow row = only(runId);
    assertThat(row.model()).isEqualTo("o4-mini-2025-04-16");
    assertThat(row.counts().outputTokens()).isEqualTo(200);
    assertThat(row.counts().reasoningTokens()).isEqualTo(800);
    assertThat(row.inputCost()).isEqualByComparingTo("0.00011"); // 100 * 1.1 / M
    assertThat(row.outputCost()).isEqualByComparingTo("0.00088"); // 200 * 4.4 / M
    assertThat(row.reasoningCost()).isEqualByComparingTo("0.00352"); // 800 * 4.4 / M (output rate)
    assertThat(row.costUsd()).isEqualByComparingTo("0.00451");
  }

  @Test
  void streamedChatAsksForUsageAndRecordsTheFinalChunk() {
    String chunk =
        """
        data: {"id":"chatcmpl-stream","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":"Otters"},"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-stream","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}

        data: {"id":"chatcmpl-stream","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[],"usage":%s}

        data: [DONE]

        """
            .formatted(chatUsage(1000, 200, 50, 0).replace("\n", " "));
    provider.on("/v1/chat/completions", Reply.sse(chunk));
    String runId =
        harness.run(
            "openai-stream",
            () -> {
              StringBuilder text = new StringBuilder();
              try (StreamResponse<ChatCompletionChunk> stream =
                  openai.chat().completions().createStreaming(chat("gpt-4o"))) {
                stream.stream()
                    .flatMap(c -> c.choices().stream())
                    .forEach(c -> c.delta().content().ifPresent(text::append));
              }
              return text.toString();
            });

    assertThat(provider.received().get(0).body()).contains("\"include_usage\":true");
    StepRow row = only(runId);
    assertThat(row.counts().inputTokens()).isEqualTo(800);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(200);
    assertThat(row.counts().outputTokens()).isEqualTo(50);
    assertThat(row.costUsd()).isEqualByComparingTo("0.00275"); // 800*2.5/M + 200*1.25/M + 50*10/M
  }

  @Test
  void asyncCallCompletingOnAnotherThreadIsRecorded() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-async", "gpt-4o-2024-08-06", chatUsage(400, 0, 40, 0))));
    AtomicReference<String> completedOn = new AtomicReference<>();
    String runId =
        harness.run(
            "openai-async",
            () -> {
              String caller = Thread.currentThread().getName();
              ChatCompletion c =
                  openai
                      .async()
                      .chat()
                      .completions()
                      .create(chat("gpt-4o"))
                      .whenComplete((r, e) -> completedOn.set(Thread.currentThread().getName()))
                      .get();
              return caller + " / " + c.id();
            });

    assertThat(completedOn.get()).isNotNull().doesNotStartWith("Activity");
    assertThat(provider.received().get(0).headers()).doesNotContainKey("x-costwise-attempt");
    StepRow row = only(runId);
    assertThat(row.costUsd()).isEqualByComparingTo("0.0014"); // 400*2.5/M + 40*10/M
  }

  @Test
  void aRetriedCallIsRecordedOnce() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}")
            .header("retry-after-ms", "10"),
        Reply.json(500, "{\"error\":{\"message\":\"The server had an error\"}}")
            .header("retry-after-ms", "10"),
        Reply.json(
            completion("chatcmpl-retried", "gpt-4o-2024-08-06", chatUsage(1000, 0, 100, 0))));
    String runId =
        harness.run("openai-retry", () -> openai.chat().completions().create(chat("gpt-4o")).id());

    assertThat(provider.received()).hasSize(3);
    StepRow row = only(runId);
    assertThat(row.attempt()).isEqualTo(1);
    assertThat(row.costUsd()).isEqualByComparingTo("0.0035"); // 1000*2.5/M + 100*10/M
  }

  @Test
  void twoWrappersOverOneCallCountItOnce() {
    OpenAIClient twice = CostwiseOpenAI.wrap(openai);
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-layers", "gpt-4o-2024-08-06", chatUsage(1200, 0, 300, 0))));
    String runId =
        harness.run("openai-layers", () -> twice.chat().completions().create(chat("gpt-4o")).id());

    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.006");
  }

  private static String response(String id, String model, String usage) {
    return """
        {"id": "%s", "object": "response", "created_at": 1741476542, "status": "completed",
         "error": null, "incomplete_details": null, "instructions": null, "max_output_tokens": null,
         "model": "%s",
         "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                     "content": [{"type": "output_text", "text": "Otters.", "annotations": []}]}],
         "parallel_tool_calls": true, "previous_response_id": null, "reasoning": {"effort": null, "summary": null},
         "store": true, "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto",
         "tools": [], "top_p": 1.0, "truncation": "disabled", "usage": %s, "user": null, "metadata": {}}
        """
        .formatted(id, model, usage);
  }

  private static final String RESPONSES_USAGE =
      """
      {"input_tokens": 3000, "input_tokens_details": {"cached_tokens": 1000},
       "output_tokens": 600, "output_tokens_details": {"reasoning_tokens": 500}, "total_tokens": 3600}
      """;

  @Test
  void responsesApiIsRecorded() {
    provider.on(
        "/v1/responses", Reply.json(response("resp_1", "o4-mini-2025-04-16", RESPONSES_USAGE)));
    String runId =
        harness.run(
            "openai-responses",
            () ->
                openai
                    .responses()
                    .create(
                        ResponseCreateParams.builder().model("o4-mini").input("Otters?").build())
                    .id());

    StepRow row = only(runId);
    assertThat(row.counts().inputTokens()).isEqualTo(2000);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1000);
    assertThat(row.counts().outputTokens()).isEqualTo(100);
    assertThat(row.counts().reasoningTokens()).isEqualTo(500);
    // 2000*1.1/M + 1000*0.275/M + 100*4.4/M + 500*4.4/M = 0.0022 + 0.000275 + 0.00044 + 0.0022
    assertThat(row.costUsd()).isEqualByComparingTo("0.005115");
  }

  /**
   * Each {@code web_search_call} item of a Responses answer is one billed search, priced at the
   * search context size of the web-search tool the response echoes: gpt-4o-mini publishes $25,
   * $27.50 and $30 per 1,000 searches at low, medium and high, and medium when none is named.
   */
  @Test
  void responsesWebSearchCallsArePricedAtTheirSearchContextSize() {
    String searches =
        """
        "output": [{"type": "web_search_call", "id": "ws_1", "status": "completed",
                    "action": {"type": "search", "query": "otters"}},
                   {"type": "web_search_call", "id": "ws_2", "status": "completed",
                    "action": {"type": "search", "query": "sea otters"}},
                   {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": "Otters.", "annotations": []}]}],
        """;
    String usage =
        """
        {"input_tokens": 1000, "input_tokens_details": {"cached_tokens": 0},
         "output_tokens": 200, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 1200}
        """;
    String low =
        withSearches(
            response("resp_ws", "gpt-4o-mini-2024-07-18", usage),
            searches,
            "[{\"type\": \"web_search\", \"search_context_size\": \"low\"}]");
    provider.on("/v1/responses", Reply.json(low));
    String runId =
        harness.run(
            "openai-web-search",
            () ->
                openai
                    .responses()
                    .create(
                        ResponseCreateParams.builder()
                            .model("gpt-4o-mini-2024-07-18")
                            .input("Otters?")
                            .addTool(
                                com.openai.models.responses.WebSearchTool.builder()
                                    .type(com.openai.models.responses.WebSearchTool.Type.WEB_SEARCH)
                                    .searchContextSize(
                                        com.openai.models.responses.WebSearchTool.SearchContextSize
                                            .LOW)
                                    .build())
                            .build())
                    .id());

    StepRow row = only(runId);
    assertThat(row.counts().webSearches()).isEqualTo(2);
    assertThat(row.searchContextSize()).isEqualTo("low");
    assertThat(row.webSearchCost()).isEqualByComparingTo("0.05"); // 2 * 25 / 1000
    // + 1000 * 0.15 / M + 200 * 0.60 / M
    assertThat(row.costUsd()).isEqualByComparingTo("0.05027");

    String unnamed =
        withSearches(
                response("resp_ws2", "gpt-4o-mini-2024-07-18", usage),
                searches,
                "[{\"type\": \"web_search_preview\"}]")
            .replace("\n", " ");
    provider.on(
        "/v1/responses",
        Reply.sse(
            """
            event: response.completed
            data: {"type":"response.completed","sequence_number":0,"response":%s}

            """
                .formatted(unnamed)));
    String streamed =
        harness.run(
            "openai-web-search-stream",
            () -> {
              try (StreamResponse<ResponseStreamEvent> stream =
                  openai
                      .responses()
                      .createStreaming(
                          ResponseCreateParams.builder()
                              .model("gpt-4o-mini-2024-07-18")
                              .input("Otters?")
                              .build())) {
                return Long.toString(stream.stream().count());
              }
            });
    StepRow s = only(streamed);
    assertThat(s.searchContextSize()).isNull();
    assertThat(s.webSearchCost()).isEqualByComparingTo("0.055"); // 2 * 27.50 / 1000 (medium)
  }

  /** A response body with {@code output} and {@code tools} replaced. */
  private static String withSearches(String response, String output, String tools) {
    return response
        .replaceFirst(
            "(?s)\"output\": \\[.*?\\]\\}\\]\\}\\],",
            java.util.regex.Matcher.quoteReplacement(output.strip()))
        .replace("\"tools\": []", "\"tools\": " + tools);
  }

  @Test
  void streamedResponsesApiRecordsResponseCompleted() {
    String completed = response("resp_2", "o4-mini-2025-04-16", RESPONSES_USAGE).replace("\n", " ");
    String events =
        """
        event: response.created
        data: {"type":"response.created","sequence_number":0,"response":%s}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Otters."}

        event: response.completed
        data: {"type":"response.completed","sequence_number":2,"response":%s}

        """
            .formatted(
                response("resp_2", "o4-mini-2025-04-16", "null").replace("\n", " "), completed);
    provider.on("/v1/responses", Reply.sse(events));
    String runId =
        harness.run(
            "openai-responses-stream",
            () -> {
              try (StreamResponse<ResponseStreamEvent> stream =
                  openai
                      .responses()
                      .createStreaming(
                          ResponseCreateParams.builder()
                              .model("o4-mini")
                              .input("Otters?")
                              .build())) {
                return Long.toString(stream.stream().count());
              }
            });

    assertThat(only(runId).costUsd()).isEqualByComparingTo("0.005115");
  }

  @Test
  void embeddingsImagesSpeechAndTranscriptionAreRecorded() {
    provider
        .on(
            "/v1/embeddings",
            Reply.json(
                """
                {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                 "model": "text-embedding-3-small", "usage": {"prompt_tokens": 5000, "total_tokens": 5000}}
                """))
        .on(
            "/v1/images/generations",
            Reply.json(
                """
                {"created": 1713833628, "data": [{"url": "https://example.invalid/1.png", "revised_prompt": "otters"},
                                                 {"url": "https://example.invalid/2.png", "revised_prompt": "otters"}]}
                """))
        .on("/v1/audio/speech", Reply.bytes("audio/mpeg", "ID3-not-really-audio"))
        .on(
            "/v1/audio/transcriptions",
            Reply.json(
                """
                {"text": "Otters hold hands.", "usage": {"type": "duration", "seconds": 90}}
                """));
    String runId =
        harness.run(
            "openai-media",
            () -> {
              openai
                  .embeddings()
                  .create(
                      EmbeddingCreateParams.builder()
                          .model("text-embedding-3-small")
                          .input("otters")
                          .build());
              openai
                  .images()
                  .generate(
                      ImageGenerateParams.builder()
                          .model(ImageModel.DALL_E_3)
                          .prompt("otters holding hands")
                          .n(2)
                          .size(ImageGenerateParams.Size._1024X1792)
                          .quality(ImageGenerateParams.Quality.HD)
                          .build());
              try (var audio =
                      openai
                          .audio()
                          .speech()
                          .create(
                              SpeechCreateParams.builder()
                                  .model(SpeechModel.TTS_1)
                                  .input("Otters hold hands while they sleep.")
                                  .voice("alloy")
                                  .build());
                  InputStream in = audio.body()) {
                in.readAllBytes();
              }
              return openai
                  .audio()
                  .transcriptions()
                  .create(
                      TranscriptionCreateParams.builder()
                          .model(AudioModel.WHISPER_1)
                          .file("fake-audio".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                          .build())
                  .toString();
            });

    List<StepRow> rows = harness.steps(runId);
    assertThat(rows)
        .extracting(StepRow::model)
        .containsExactly("text-embedding-3-small", "dall-e-3", "tts-1", "whisper-1");
    assertThat(rows.get(0).costUsd()).isEqualByComparingTo("0.0001"); // 5000 * 0.02 / M
    assertThat(rows.get(1).counts().images()).isEqualTo(2);
    assertThat(rows.get(1).costUsd()).isEqualByComparingTo("0.24"); // 2 hd 1024x1792 at 0.12
    assertThat(rows.get(2).counts().characters()).isEqualTo(35);
    assertThat(rows.get(2).costUsd()).isEqualByComparingTo("0.000525"); // 35 chars at 0.015/1K
    assertThat(rows.get(3).counts().audioSeconds()).isEqualByComparingTo("90");
    assertThat(rows.get(3).costUsd()).isEqualByComparingTo("0.009"); // 90 s at 0.0001
  }

  @Test
  void aTranscriptionUploadedFromAStreamIsPricedByItsModel() throws Exception {
    // without retries the SDK sends the stream as it is, once, without holding it in memory
    OpenAIClient once =
        CostwiseOpenAI.wrap(
            OpenAIOkHttpClient.builder()
                .baseUrl(provider.baseUrl() + "/v1")
                .apiKey("sk-test")
                .maxRetries(0)
                .build());
    // larger than any buffer on the way, so the model field is sent long after the file starts
    byte[] audio = "RIFF-not-really-audio-".repeat(150_000).getBytes(StandardCharsets.US_ASCII);
    Map<String, Callable<String>> calls = new LinkedHashMap<>();
    calls.put("sync-once", () -> once.audio().transcriptions().create(upload(audio)).toString());
    calls.put(
        "sync-retrying", () -> openai.audio().transcriptions().create(upload(audio)).toString());
    calls.put(
        "async",
        () -> once.async().audio().transcriptions().create(upload(audio)).get().toString());
    for (Map.Entry<String, Callable<String>> call : calls.entrySet()) {
      provider.reset();
      provider.on(
          "/v1/audio/transcriptions",
          Reply.json(
              """
              {"text": "Otters hold hands.", "usage": {"type": "duration", "seconds": 120}}
              """));
      String runId = harness.run("openai-transcription-" + call.getKey(), call.getValue());

      String sent = provider.received().get(0).body();
      assertThat(sent).contains(new String(audio, StandardCharsets.US_ASCII));
      StepRow row = only(runId);
      assertThat(row.model()).as(call.getKey()).isEqualTo("whisper-1");
      assertThat(row.counts().audioSeconds()).isEqualByComparingTo("120");
      assertThat(row.costUsd()).isEqualByComparingTo("0.012"); // 120 s at 0.0001
    }
  }

  /** A whisper-1 transcription whose file is read from a stream that can be read only once. */
  private static TranscriptionCreateParams upload(byte[] audio) {
    return TranscriptionCreateParams.builder()
        .model(AudioModel.WHISPER_1)
        .file(new BufferedInputStream(new ByteArrayInputStream(audio)))
        .build();
  }

  @Test
  void anUnknownModelIsStoredUnpricedNeverZero() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            completion("chatcmpl-unknown", "gpt-9-ultra-preview", chatUsage(100, 0, 10, 0))));
    String runId =
        harness.run(
            "openai-unknown",
            () -> openai.chat().completions().create(chat("gpt-9-ultra-preview")).id());

    StepRow row = only(runId);
    assertThat(row.priced()).isFalse();
    assertThat(row.costUsd()).isNull();
    assertThat(row.unpricedReason()).contains("gpt-9-ultra-preview");
    assertThat(row.counts().inputTokens()).isEqualTo(100);
  }

  @Test
  void aFailedCallRecordsNothing() {
    provider.on(
        "/v1/chat/completions",
        Reply.json(
            400, "{\"error\":{\"message\":\"bad request\",\"type\":\"invalid_request_error\"}}"));
    String runId =
        harness.run(
            "openai-failed",
            () -> {
              try {
                openai.chat().completions().create(chat("gpt-4o"));
                return "unexpected";
              } catch (RuntimeException e) {
                return "failed as expected";
              }
            });
    assertThat(harness.steps(runId)).isEmpty();
  }

  @Test
  void closedOrDiscardedClientsDoNotCloseTheTransportUnderTheOthers() throws Exception {
    OpenAIClient fromDiscardedOriginal =
        CostwiseOpenAI.wrap(
            OpenAIOkHttpClient.builder()
                .baseUrl(provider.baseUrl() + "/v1")
                .apiKey("sk-test")
                .build());
    CostwiseOpenAI.wrap(openai).close(); // a client made from this one, closed
    for (int i = 0; i < 5; i++) {
      CostwiseOpenAI.wrap(openai); // and some dropped
    }
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(50);
    }
    provider.on(
        "/v1/chat/completions",
        Reply.json(completion("chatcmpl-gc1", "gpt-4o-2024-08-06", chatUsage(1200, 0, 300, 0))),
        Reply.json(completion("chatcmpl-gc2", "gpt-4o-2024-08-06", chatUsage(1200, 0, 300, 0))));
    String runId =
        harness.run(
            "openai-gc",
            () ->
                openai.chat().completions().create(chat("gpt-4o")).id()
                    + fromDiscardedOriginal.chat().completions().create(chat("gpt-4o")).id());

    assertThat(harness.steps(runId)).hasSize(2);
  }
}
