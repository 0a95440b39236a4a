package dev.costwise.integration.genai;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.genai.Client;
import com.google.genai.ResponseStream;
import com.google.genai.types.ClientOptions;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.HttpOptions;
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
 * The real google-genai client with Costwise's OkHttp client, against a local server answering like
 * the Gemini API; activity code calls the SDK only, runs as a real attempt on the Temporal test
 * server, and the stored rows equal hand-computed catalog prices.
 */
class GenAiIntegrationTest {
  private static final String PATH = "/v1beta/models/gemini-2.5-flash:generateContent";
  private static final String STREAM_PATH = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";
  private static FakeProvider provider;
  private static ActivityHarness harness;
  private static Client gemini;

  @BeforeAll
  static void start() {
    provider = new FakeProvider();
    harness = ActivityHarness.start();
    gemini =
        Client.builder()
            .apiKey("gemini-test")
            .httpOptions(HttpOptions.builder().baseUrl(provider.baseUrl()).build())
            .clientOptions(
                ClientOptions.builder().customHttpClient(CostwiseGenAI.httpClient()).build())
            .build();
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

  private static String response(String id, String usage) {
    return """
        {"candidates": [{"content": {"parts": [{"text": "Otters hold hands."}], "role": "model"},
                         "finishReason": "STOP", "index": 0}],
         "usageMetadata": %s, "modelVersion": "gemini-2.5-flash", "responseId": "%s"}
        """
        .formatted(usage, id);
  }

  /** 2000 prompt tokens of which 1500 cached, 300 candidates, 700 thoughts. */
  private static final String USAGE =
      """
      {"promptTokenCount": 2000, "cachedContentTokenCount": 1500, "candidatesTokenCount": 300,
       "thoughtsTokenCount": 700, "totalTokenCount": 3000}
      """;

  // 500*0.3/M + 1500*0.03/M + 300*2.5/M + 700*2.5/M = 0.00015 + 0.000045 + 0.00075 + 0.00175
  private static final String COST = "0.002695";

  private static StepRow only(String runId) {
    List<StepRow> rows = harness.steps(runId);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  @Test
  void cachedAndThinkingTokensArePricedApart() {
    provider.on(PATH, Reply.json(response("resp-1", USAGE)));
    String runId =
        harness.run(
            "genai-plain",
            () -> gemini.models.generateContent("gemini-2.5-flash", "Otters?", null).text());

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("gemini");
    assertThat(row.model()).isEqualTo("gemini-2.5-flash");
    assertThat(row.counts().inputTokens()).isEqualTo(500);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1500);
    assertThat(row.counts().outputTokens()).isEqualTo(300);
    assertThat(row.counts().reasoningTokens()).isEqualTo(700);
    assertThat(row.inputCost()).isEqualByComparingTo("0.00015");
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.000045");
    assertThat(row.reasoningCost()).isEqualByComparingTo("0.00175");
    assertThat(row.costUsd()).isEqualByComparingTo(COST);
  }

  @Test
  void aStreamRecordsItsLastUsage() {
    String partial =
        response("resp-2", "{\"promptTokenCount\": 2000, \"cachedContentTokenCount\": 1500}")
            .replace("\n", " ");
    String last = response("resp-2", USAGE).replace("\n", " ");
    provider.on(STREAM_PATH, Reply.sse("data: " + partial + "\r\n\r\ndata: " + last + "\r\n\r\n"));
    String runId =
        harness.run(
            "genai-stream",
            () -> {
              StringBuilder text = new StringBuilder();
              try (ResponseStream<GenerateContentResponse> stream =
                  gemini.models.generateContentStream("gemini-2.5-flash", "Otters?", null)) {
                for (GenerateContentResponse r : stream) {
                  text.append(r.text());
                }
              }
              return text.toString();
            });

    assertThat(only(runId).costUsd()).isEqualByComparingTo(COST);
  }

  @Test
  void asyncCallCompletingOnAnotherThreadIsRecorded() {
    provider.on(PATH, Reply.json(response("resp-3", USAGE)));
    AtomicReference<String> completedOn = new AtomicReference<>();
    String runId =
        harness.run(
            "genai-async",
            () ->
                gemini
                    .async
                    .models
                    .generateContent("gemini-2.5-flash", "Otters?", null)
                    .whenComplete((r, e) -> completedOn.set(Thread.currentThread().getName()))
                    .get()
                    .text());

    assertThat(completedOn.get()).doesNotStartWith("Activity");
    assertThat(only(runId).costUsd()).isEqualByComparingTo(COST);
  }

  @Test
  void aRetriedCallIsRecordedOnce() {
    provider.on(
        PATH,
        Reply.json(
            429,
            "{\"error\": {\"code\": 429, \"message\": \"quota\", \"status\": \"RESOURCE_EXHAUSTED\"}}"),
        Reply.json(response("resp-4", USAGE)));
    String runId =
        harness.run(
            "genai-retry",
            () -> gemini.models.generateContent("gemini-2.5-flash", "Otters?", null).text());

    assertThat(provider.received()).hasSize(2);
    assertThat(only(runId).costUsd()).isEqualByComparingTo(COST);
  }

  @Test
  void anUnknownModelIsStoredUnpricedNeverZero() {
    provider.on(
        "/v1beta/models/gemini-9-ultra:generateContent",
        Reply.json(
            response("resp-5", USAGE).replace("\"gemini-2.5-flash\"", "\"gemini-9-ultra\"")));
    String runId =
        harness.run(
            "genai-unknown",
            () -> gemini.models.generateContent("gemini-9-ultra", "Otters?", null).text());

    StepRow row = only(runId);
    assertThat(row.priced()).isFalse();
    assertThat(row.costUsd()).isNull();
  }
}
