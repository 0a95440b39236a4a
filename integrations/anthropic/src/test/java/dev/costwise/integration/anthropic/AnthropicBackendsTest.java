package dev.costwise.integration.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.backends.Backend;
import com.anthropic.bedrock.backends.BedrockBackend;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.vertex.backends.VertexBackend;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import dev.costwise.integration.http.Json;
import dev.costwise.store.StepRow;
import dev.costwise.testing.ActivityHarness;
import dev.costwise.testing.FakeProvider;
import dev.costwise.testing.FakeProvider.Received;
import dev.costwise.testing.FakeProvider.Reply;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.regions.Region;

/**
 * The real anthropic-java client on its Amazon Bedrock and Google Vertex AI backends (static test
 * credentials, a region, a project), wrapped once, with only the network endpoint moved to a local
 * server that answers as Bedrock's InvokeModel / InvokeModelWithResponseStream and Vertex's
 * rawPredict / streamRawPredict do. Activity code contains no Costwise call; the stored rows are
 * priced as the catalog prices the model on that provider, component by component.
 */
class AnthropicBackendsTest {
  private static final String BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
  private static final String VERTEX_MODEL = "claude-sonnet-4-5@20250929";

  private static FakeProvider provider;
  private static EventStreamServer eventStream;
  private static ActivityHarness harness;
  private static AnthropicClient bedrock;
  private static AnthropicClient bedrockStreaming;
  private static AnthropicClient vertex;

  @BeforeAll
  static void start() {
    provider = new FakeProvider();
    eventStream = new EventStreamServer();
    harness = ActivityHarness.start();
    bedrock = CostwiseAnthropic.wrap(onBedrock(provider.baseUrl()));
    bedrockStreaming = CostwiseAnthropic.wrap(onBedrock(eventStream.baseUrl()));
    vertex =
        CostwiseAnthropic.wrap(
            AnthropicOkHttpClient.builder()
                .backend(
                    VertexBackend.builder()
                        .googleCredentials(
                            GoogleCredentials.create(
                                new AccessToken(
                                    "ya29.test-token",
                                    Date.from(Instant.now().plus(1, ChronoUnit.HOURS)))))
                        .project("costwise-test")
                        .region("us-east5")
                        .baseUrl(provider.baseUrl())
                        .build())
                .maxRetries(0)
                .build());
  }

  /**
   * A client on the Bedrock backend. The backend derives its endpoint from the region and has no
   * override of its own; the client option the backend's URL is copied into is moved instead.
   */
  private static AnthropicClient onBedrock(String endpoint) {
    return AnthropicOkHttpClient.builder()
        .backend(
            BedrockBackend.builder()
                .awsCredentials(
                    AwsBasicCredentials.create("AKIDCOSTWISETEST", "costwise-test-secret-key"))
                .region(Region.US_EAST_1)
                .build())
        .maxRetries(0)
        .build()
        .withOptions(o -> o.baseUrl(endpoint));
  }

  /** The SDK's own endpoints, reached through {@code proxy}, which ends TLS on loopback. */
  private static AnthropicClient onOwnHost(TunnellingProxy proxy, Backend backend)
      throws Exception {
    return CostwiseAnthropic.wrap(
        AnthropicOkHttpClient.builder()
            .backend(backend)
            .proxy(proxy.proxy())
            .sslSocketFactory(proxy.clientTls().getSocketFactory())
            .trustManager(proxy.trustManager())
            .maxRetries(0)
            .build());
  }

  @Test
  void onTheCloudsOwnHostsTheHostNamesTheProvider() throws Exception {
    String bedrockHost = "bedrock-runtime.us-east-1.amazonaws.com";
    String vertexHost = "us-east5-aiplatform.googleapis.com";
    URI local = URI.create(provider.baseUrl());
    try (TunnellingProxy proxy =
        new TunnellingProxy(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), local.getPort()),
            List.of(bedrockHost, vertexHost))) {
      AnthropicClient realBedrock =
          onOwnHost(
              proxy,
              BedrockBackend.builder()
                  .awsCredentials(
                      AwsBasicCredentials.create("AKIDCOSTWISETEST", "costwise-test-secret-key"))
                  .region(Region.US_EAST_1)
                  .build());
      AnthropicClient realVertex =
          onOwnHost(
              proxy,
              VertexBackend.builder()
                  .googleCredentials(
                      GoogleCredentials.create(
                          new AccessToken(
                              "ya29.test-token",
                              Date.from(Instant.now().plus(1, ChronoUnit.HOURS)))))
                  .project("costwise-test")
                  .region("us-east5")
                  .build());
      provider.on(
          "/model/" + BEDROCK_MODEL + "/invoke",
          Reply.json(message("msg_bdrk_01Own", "claude-sonnet-4-5-20250929")));
      provider.on(
          "/v1/projects/costwise-test/locations/us-east5/publishers/anthropic/models/"
              + VERTEX_MODEL
              + ":rawPredict",
          Reply.json(message("msg_vrtx_01Own", "claude-sonnet-4-5-20250929")));

      String bedrockRun =
          harness.run(
              "bedrock-own-host", () -> realBedrock.messages().create(params(BEDROCK_MODEL)).id());
      String vertexRun =
          harness.run(
              "vertex-own-host", () -> realVertex.messages().create(params(VERTEX_MODEL)).id());

      assertThat(proxy.connects()).containsExactly(bedrockHost + ":443", vertexHost + ":443");
      assertThat(provider.received())
          .extracting(r -> r.headers().get("host"))
          .containsExactly(bedrockHost, vertexHost);
      StepRow bedrockRow = only(bedrockRun);
      assertThat(bedrockRow.provider()).isEqualTo("bedrock");
      assertThat(bedrockRow.pricedModel()).isEqualTo(BEDROCK_MODEL);
      assertThat(bedrockRow.costUsd()).isEqualByComparingTo("0.025575");
      StepRow vertexRow = only(vertexRun);
      assertThat(vertexRow.provider()).isEqualTo("vertex_ai");
      assertThat(vertexRow.pricedModel()).isEqualTo("vertex_ai/" + VERTEX_MODEL);
      assertThat(vertexRow.costUsd()).isEqualByComparingTo("0.02325");
    }
  }

  @AfterAll
  static void stop() {
    harness.close();
    eventStream.close();
    provider.close();
  }

  @BeforeEach
  void clear() {
    provider.reset();
  }

  private static MessageCreateParams params(String model) {
    return MessageCreateParams.builder()
        .model(model)
        .maxTokens(1024)
        .addUserMessage("Write a haiku about otters")
        .build();
  }

  private static StepRow only(String runId) {
    List<StepRow> rows = harness.steps(runId);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  private static final String CACHED_USAGE =
      """
      {"input_tokens": 1000, "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 5000,
       "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
       "output_tokens": 200}
      """;

  /** The body InvokeModel returns for an Anthropic model: the Messages API's message. */
  private static String message(String id, String model) {
    return """
        {"id": "%s", "type": "message", "role": "assistant", "model": "%s",
         "content": [{"type": "text", "text": "Otters hold hands."}],
         "stop_reason": "end_turn", "stop_sequence": null, "usage": %s}
        """
        .formatted(id, model, CACHED_USAGE);
  }

  @Test
  void bedrockInvokeIsPricedAsTheInvokedModelOnBedrock() {
    String path = "/model/" + BEDROCK_MODEL + "/invoke";
    // Bedrock answers with Anthropic's own name for the model; the invoked id is what it bills
    provider.on(path, Reply.json(message("msg_bdrk_01Otters", "claude-sonnet-4-5-20250929")));
    String runId =
        harness.run("bedrock-invoke", () -> bedrock.messages().create(params(BEDROCK_MODEL)).id());

    Received sent = provider.received().get(0);
    assertThat(sent.path()).isEqualTo(path);
    assertThat(sent.headers().get("authorization")).startsWith("AWS4-HMAC-SHA256");
    assertThat(sent.body()).contains("\"anthropic_version\"");
    assertThat(sent.body()).doesNotContain("\"model\"");

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("bedrock");
    assertThat(row.model()).isEqualTo(BEDROCK_MODEL);
    assertThat(row.pricedModel()).isEqualTo(BEDROCK_MODEL);
    assertThat(row.counts().inputTokens()).isEqualTo(1000);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(5000);
    assertThat(row.counts().cacheWriteTokens()).isEqualTo(1000);
    assertThat(row.counts().cacheWrite1hTokens()).isEqualTo(2000);
    assertThat(row.counts().outputTokens()).isEqualTo(200);
    // the US cross-region profile's prices: 3.30 in, 0.33 cache read, 4.125 5-minute write,
    // 6.60 1-hour write, 16.50 out, per million tokens
    assertThat(row.inputCost()).isEqualByComparingTo("0.0033");
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.00165");
    assertThat(row.cacheWriteCost()).isEqualByComparingTo("0.004125");
    assertThat(row.cacheWrite1hCost()).isEqualByComparingTo("0.0132");
    assertThat(row.outputCost()).isEqualByComparingTo("0.0033");
    assertThat(row.costUsd()).isEqualByComparingTo("0.025575");
  }

  @Test
  void anAsyncBedrockCallIsRecordedToo() {
    provider.on(
        "/model/" + BEDROCK_MODEL + "/invoke",
        Reply.json(message("msg_bdrk_01Async", "claude-sonnet-4-5-20250929")));
    String runId =
        harness.run(
            "bedrock-async",
            () -> bedrock.async().messages().create(params(BEDROCK_MODEL)).get().id());

    assertThat(provider.received().get(0).headers()).doesNotContainKey("x-costwise-attempt");
    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("bedrock");
    assertThat(row.costUsd()).isEqualByComparingTo("0.025575");
  }

  @Test
  void aBedrockModelTheCatalogDoesNotKnowIsStoredUnpriced() {
    String unknown = "us.anthropic.claude-future-9-v1:0";
    provider.on(
        "/model/" + unknown + "/invoke",
        Reply.json(message("msg_bdrk_01Future", "claude-future-9")));
    String runId =
        harness.run("bedrock-unknown", () -> bedrock.messages().create(params(unknown)).id());

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("bedrock");
    assertThat(row.priced()).isFalse();
    assertThat(row.costUsd()).isNull();
    assertThat(row.unpricedReason()).contains(unknown);
    assertThat(row.counts().inputTokens()).isEqualTo(1000);
  }

  private static String events(String id, String model) {
    return List.of(
            """
            {"type":"message_start","message":{"id":"%s","type":"message","role":"assistant","model":"%s","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":500,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":1}}}"""
                .formatted(id, model),
            """
            {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""",
            """
            {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Otters"}}""",
            """
            {"type":"content_block_stop","index":0}""",
            """
            {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":250}}""",
            """
            {"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":500,"outputTokenCount":250,"invocationLatency":900,"firstByteLatency":300}}""")
        .stream()
        .reduce((a, b) -> a + "\n" + b)
        .orElseThrow();
  }

  private static long readStream(AnthropicClient client, String model) {
    try (StreamResponse<RawMessageStreamEvent> stream =
        client.messages().createStreaming(params(model))) {
      return stream.stream().count();
    }
  }

  @Test
  void bedrockResponseStreamIsPricedFromItsLastCumulativeDelta() {
    eventStream.answer(
        List.of(events("msg_bdrk_01Stream", "claude-sonnet-4-5-20250929").split("\n")));
    String runId =
        harness.run(
            "bedrock-stream", () -> Long.toString(readStream(bedrockStreaming, BEDROCK_MODEL)));

    assertThat(eventStream.paths())
        .last()
        .isEqualTo("/model/" + BEDROCK_MODEL + "/invoke-with-response-stream");
    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("bedrock");
    assertThat(row.pricedModel()).isEqualTo(BEDROCK_MODEL);
    assertThat(row.counts().inputTokens()).isEqualTo(500);
    assertThat(row.counts().cacheReadTokens()).isEqualTo(1000);
    assertThat(row.counts().outputTokens()).isEqualTo(250);
    // 500 * 3.30 / M + 1000 * 0.33 / M + 250 * 16.50 / M
    assertThat(row.costUsd()).isEqualByComparingTo("0.006105");
  }

  @Test
  void vertexRawPredictIsPricedAsTheModelOnVertex() {
    String path =
        "/v1/projects/costwise-test/locations/us-east5/publishers/anthropic/models/"
            + VERTEX_MODEL
            + ":rawPredict";
    provider.on(path, Reply.json(message("msg_vrtx_01Otters", "claude-sonnet-4-5-20250929")));
    String runId =
        harness.run("vertex-predict", () -> vertex.messages().create(params(VERTEX_MODEL)).id());

    Received sent = provider.received().get(0);
    assertThat(sent.path()).isEqualTo(path);
    assertThat(sent.headers().get("authorization")).isEqualTo("Bearer ya29.test-token");
    assertThat(sent.body()).contains("\"anthropic_version\"");

    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("vertex_ai");
    assertThat(row.model()).isEqualTo(VERTEX_MODEL);
    assertThat(row.pricedModel()).isEqualTo("vertex_ai/" + VERTEX_MODEL);
    // Vertex's prices for Sonnet 4.5: 3 in, 0.30 cache read, 3.75 5-minute write, 6 1-hour write,
    // 15 out, per million tokens
    assertThat(row.inputCost()).isEqualByComparingTo("0.003");
    assertThat(row.cacheReadCost()).isEqualByComparingTo("0.0015");
    assertThat(row.cacheWriteCost()).isEqualByComparingTo("0.00375");
    assertThat(row.cacheWrite1hCost()).isEqualByComparingTo("0.012");
    assertThat(row.outputCost()).isEqualByComparingTo("0.003");
    assertThat(row.costUsd()).isEqualByComparingTo("0.02325");
  }

  @Test
  void vertexStreamRawPredictIsPricedFromItsLastCumulativeDelta() {
    String path =
        "/v1/projects/costwise-test/locations/us-east5/publishers/anthropic/models/"
            + VERTEX_MODEL
            + ":streamRawPredict";
    StringBuilder sse = new StringBuilder();
    for (String event : events("msg_vrtx_01Stream", "claude-sonnet-4-5-20250929").split("\n")) {
      String type = Json.text(Json.parse(event), "type");
      sse.append("event: ").append(type).append("\ndata: ").append(event).append("\n\n");
    }
    provider.on(path, Reply.sse(sse.toString()));
    String runId =
        harness.run("vertex-stream", () -> Long.toString(readStream(vertex, VERTEX_MODEL)));

    assertThat(provider.received().get(0).path()).isEqualTo(path);
    StepRow row = only(runId);
    assertThat(row.provider()).isEqualTo("vertex_ai");
    assertThat(row.pricedModel()).isEqualTo("vertex_ai/" + VERTEX_MODEL);
    assertThat(row.counts().outputTokens()).isEqualTo(250);
    // 500 * 3 / M + 1000 * 0.30 / M + 250 * 15 / M
    assertThat(row.costUsd()).isEqualByComparingTo("0.00555");
  }
}
