package dev.costwise.integration.openai;

import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientAsync;
import com.openai.core.ClientOptions;
import com.openai.core.Params;
import com.openai.core.http.HttpClient;
import dev.costwise.integration.http.AttemptCarrier;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Set;

/**
 * Makes an openai-java client record the usage of every billable call (chat completions, sync,
 * async and streamed; the Responses API, streamed too; embeddings; images; speech; transcriptions)
 * into the Costwise activity attempt that is current on the thread that starts the call, from
 * whatever thread the response completes on. Outside a tracked activity the client behaves exactly
 * as before.
 *
 * <pre>{@code
 * OpenAIClient openai = CostwiseOpenAI.wrap(OpenAIOkHttpClient.fromEnv());
 * }</pre>
 *
 * <p>Asynchronous calls ({@code client.async()}) hand requests to the transport from a pool thread;
 * the returned client and its services are thin proxies that tag such a request with an opaque
 * token naming the caller's attempt, removed again before the request is sent.
 *
 * <p>Semantics: OpenAI's prompt count includes cached tokens and its completion count includes
 * reasoning tokens; they are recorded apart (input = prompt − cached, output = completion −
 * reasoning). The model is the one the response names (dated snapshots resolve through the
 * catalog); the provider is {@code azure} for Azure OpenAI endpoints, else {@code openai}. A
 * streamed chat request that does not say otherwise is sent with {@code
 * stream_options.include_usage: true}, so the stream ends with its usage. Each record carries the
 * response id, so a framework over this client that records the same call is counted once.
 */
public final class CostwiseOpenAI {
  private static final AttemptCarrier.Sdk SDK =
      new AttemptCarrier.Sdk(
          Params.class,
          List.of("com.openai.client.", "com.openai.services."),
          Set.of("com.openai.core.http.AsyncStreamResponse"));

  private CostwiseOpenAI() {}

  /**
   * A client sharing {@code client}'s configuration and transport whose calls record their usage.
   * Closing the returned client leaves the shared transport open: close {@code client} to release
   * it, or let both become unreachable (openai-java then releases it).
   */
  public static OpenAIClient wrap(OpenAIClient client) {
    if (client == null) {
      throw new IllegalArgumentException("client is null");
    }
    return AttemptCarrier.proxy(
        OpenAIClient.class, client.withOptions(CostwiseOpenAI::install), SDK);
  }

  /** The asynchronous client's counterpart of {@link #wrap(OpenAIClient)}. */
  public static OpenAIClientAsync wrap(OpenAIClientAsync client) {
    if (client == null) {
      throw new IllegalArgumentException("client is null");
    }
    return AttemptCarrier.proxy(
        OpenAIClientAsync.class, client.withOptions(CostwiseOpenAI::install), SDK);
  }

  /**
   * {@code transport} recording usage, for code that builds {@link ClientOptions} itself: {@code
   * ClientOptions.builder().httpClient(CostwiseOpenAI.recording(transport))}. Closing the recording
   * client does not close {@code transport}; close it yourself.
   */
  public static HttpClient recording(HttpClient transport) {
    if (transport == null) {
      throw new IllegalArgumentException("transport is null");
    }
    return new RecordingHttpClient(transport);
  }

  private static void install(ClientOptions.Builder builder) {
    builder.httpClient(recording(transport(builder)));
  }

  /**
   * The transport a builder holds. openai-java exposes it to no public getter, so it is read from
   * the builder's field; if a future SDK renames it, the error says what to do instead.
   */
  private static HttpClient transport(ClientOptions.Builder builder) {
    try {
      Field f = ClientOptions.Builder.class.getDeclaredField("httpClient");
      f.setAccessible(true);
      Object value = f.get(builder);
      if (value instanceof HttpClient http) {
        return http;
      }
      throw new IllegalStateException("the client has no HTTP transport yet");
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "CostwiseOpenAI.wrap cannot reach this openai-java version's transport ("
              + e
              + "); build the client from ClientOptions with"
              + " httpClient(CostwiseOpenAI.recording(transport)) instead",
          e);
    }
  }
}
