package dev.costwise.bench;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.AnthropicClientImpl;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.Model;
import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientImpl;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.costwise.integration.anthropic.CostwiseAnthropic;
import dev.costwise.integration.openai.CostwiseOpenAI;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.UsageScope;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the SDK integrations add to one call, without the network: the real openai-java and
 * anthropic-java clients over an in-process transport that answers at once with a provider-shaped
 * JSON body, plain and wrapped, each call inside a fresh activity-attempt scope (so the wrapped
 * call reads, prices and records its usage). The added latency is wrapped minus plain, compared at
 * the same percentile. Target: under 20 µs at p99.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class SdkWrapperBenchmark {
  private static final byte[] CHAT =
      """
      {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1741569952,
       "model": "gpt-4o-2024-08-06",
       "choices": [{"index": 0, "message": {"role": "assistant", "content": "Otters float.",
                    "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
       "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
                 "prompt_tokens_details": {"cached_tokens": 1000},
                 "completion_tokens_details": {"reasoning_tokens": 0}}}
      """
          .getBytes(StandardCharsets.UTF_8);
  private static final byte[] MESSAGE =
      """
      {"id": "msg_bench", "type": "message", "role": "assistant",
       "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "Otters."}],
       "stop_reason": "end_turn", "stop_sequence": null,
       "usage": {"input_tokens": 100, "cache_creation_input_tokens": 3000,
                 "cache_read_input_tokens": 5000,
                 "cache_creation": {"ephemeral_5m_input_tokens": 1000,
                                    "ephemeral_1h_input_tokens": 2000},
                 "output_tokens": 50}}
      """
          .getBytes(StandardCharsets.UTF_8);

  private Pricer pricer;
  private OpenAIClient openAiPlain;
  private OpenAIClient openAiWrapped;
  private AnthropicClient claudePlain;
  private AnthropicClient claudeWrapped;
  private AnthropicClient bedrockPlain;
  private AnthropicClient bedrockWrapped;
  private com.openai.core.http.HttpClient openAiTransport;
  private com.openai.core.http.HttpClient openAiRecording;
  private com.openai.core.http.HttpRequest openAiRequest;
  private com.anthropic.core.http.HttpClient anthropicTransport;
  private com.anthropic.core.http.HttpClient anthropicRecording;
  private com.anthropic.core.http.HttpRequest anthropicRequest;
  private ChatCompletionCreateParams chat;
  private MessageCreateParams message;
  private MessageCreateParams bedrockMessage;

  @Setup
  public void setUp() {
    pricer = Pricer.of(CatalogSource.bundledCatalog());
    openAiPlain =
        new OpenAIClientImpl(
            com.openai.core.ClientOptions.builder()
                .httpClient(new OpenAiTransport())
                .apiKey("sk-bench")
                .build());
    openAiWrapped = CostwiseOpenAI.wrap(openAiPlain);
    claudePlain =
        new AnthropicClientImpl(
            com.anthropic.core.ClientOptions.builder()
                .httpClient(new AnthropicTransport())
                .putHeader("x-api-key", "sk-ant-bench")
                .build());
    claudeWrapped = CostwiseAnthropic.wrap(claudePlain);
    // a Bedrock endpoint: the integration also reads the request's model from its body
    bedrockPlain =
        new AnthropicClientImpl(
            com.anthropic.core.ClientOptions.builder()
                .httpClient(new AnthropicTransport())
                .baseUrl("https://bedrock-runtime.us-east-1.amazonaws.com")
                .build());
    bedrockWrapped = CostwiseAnthropic.wrap(bedrockPlain);
    openAiTransport = new OpenAiTransport();
    openAiRecording = CostwiseOpenAI.recording(openAiTransport);
    openAiRequest =
        com.openai.core.http.HttpRequest.builder()
            .method(com.openai.core.http.HttpMethod.POST)
            .baseUrl("https://api.openai.com/v1")
            .addPathSegments("chat", "completions")
            .build();
    anthropicTransport = new AnthropicTransport();
    anthropicRecording = CostwiseAnthropic.interceptor().intercept(anthropicTransport);
    anthropicRequest =
        com.anthropic.core.http.HttpRequest.builder()
            .method(com.anthropic.core.http.HttpMethod.POST)
            .baseUrl("https://api.anthropic.com")
            .addPathSegments("v1", "messages")
            .build();
    chat =
        ChatCompletionCreateParams.builder()
            .model(ChatModel.GPT_4O)
            .addUserMessage("Write a haiku about otters")
            .build();
    message =
        MessageCreateParams.builder()
            .model(Model.CLAUDE_SONNET_4_5)
            .maxTokens(1024)
            .addUserMessage("Write a haiku about otters")
            .build();
    bedrockMessage =
        message.toBuilder().model("us.anthropic.claude-sonnet-4-5-20250929-v1:0").build();
  }

  private Object inAttempt(java.util.function.Supplier<Object> call) {
    try (CostUsage.Binding ignored = CostUsage.bind(new UsageScope(pricer))) {
      return call.get();
    }
  }

  @Benchmark
  public Object openAiPlain() {
    return inAttempt(() -> openAiPlain.chat().completions().create(chat));
  }

  @Benchmark
  public Object openAiWrapped() {
    return inAttempt(() -> openAiWrapped.chat().completions().create(chat));
  }

  @Benchmark
  public Object anthropicPlain() {
    return inAttempt(() -> claudePlain.messages().create(message));
  }

  @Benchmark
  public Object anthropicWrapped() {
    return inAttempt(() -> claudeWrapped.messages().create(message));
  }

  @Benchmark
  public Object anthropicOnBedrockPlain() {
    return inAttempt(() -> bedrockPlain.messages().create(bedrockMessage));
  }

  /** On Bedrock the wrapped call also reads the requested model from the request's body. */
  @Benchmark
  public Object anthropicOnBedrockWrapped() {
    return inAttempt(() -> bedrockWrapped.messages().create(bedrockMessage));
  }

  private static long drain(InputStream in) {
    try (in) {
      return in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The transport alone: the baseline of the two transport-level benchmarks. */
  @Benchmark
  public Object openAiTransportPlain() {
    return inAttempt(() -> drain(openAiTransport.execute(openAiRequest).body()));
  }

  /** The transport under the recording client: reads, prices and records the usage. */
  @Benchmark
  public Object openAiTransportRecording() {
    return inAttempt(() -> drain(openAiRecording.execute(openAiRequest).body()));
  }

  /** The transport alone. */
  @Benchmark
  public Object anthropicTransportPlain() {
    return inAttempt(() -> drain(anthropicTransport.execute(anthropicRequest).body()));
  }

  /** The transport under the Costwise interceptor. */
  @Benchmark
  public Object anthropicTransportRecording() {
    return inAttempt(() -> drain(anthropicRecording.execute(anthropicRequest).body()));
  }

  private static final class OpenAiTransport implements com.openai.core.http.HttpClient {
    @Override
    public com.openai.core.http.HttpResponse execute(
        com.openai.core.http.HttpRequest request, com.openai.core.RequestOptions options) {
      if (request.body() != null) {
        request.body().writeTo(java.io.OutputStream.nullOutputStream());
      }
      return new com.openai.core.http.HttpResponse() {
        private final InputStream body = new ByteArrayInputStream(CHAT);

        @Override
        public int statusCode() {
          return 200;
        }

        @Override
        public com.openai.core.http.Headers headers() {
          return com.openai.core.http.Headers.builder()
              .put("Content-Type", "application/json")
              .build();
        }

        @Override
        public InputStream body() {
          return body;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public CompletableFuture<com.openai.core.http.HttpResponse> executeAsync(
        com.openai.core.http.HttpRequest request, com.openai.core.RequestOptions options) {
      return CompletableFuture.completedFuture(execute(request, options));
    }

    @Override
    public void close() {}
  }

  private static final class AnthropicTransport implements com.anthropic.core.http.HttpClient {
    @Override
    public com.anthropic.core.http.HttpResponse execute(
        com.anthropic.core.http.HttpRequest request, com.anthropic.core.RequestOptions options) {
      request.body().ifPresent(b -> b.writeTo(java.io.OutputStream.nullOutputStream()));
      return new com.anthropic.core.http.HttpResponse() {
        private final InputStream body = new ByteArrayInputStream(MESSAGE);

        @Override
        public int statusCode() {
          return 200;
        }

        @Override
        public com.anthropic.core.http.Headers headers() {
          return com.anthropic.core.http.Headers.builder()
              .put("Content-Type", "application/json")
              .build();
        }

        @Override
        public InputStream body() {
          return body;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public CompletableFuture<com.anthropic.core.http.HttpResponse> executeAsync(
        com.anthropic.core.http.HttpRequest request, com.anthropic.core.RequestOptions options) {
      return CompletableFuture.completedFuture(execute(request, options));
    }

    @Override
    public void close() {}
  }
}
