package dev.costwise.integration.anthropic;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.AnthropicClientAsync;
import com.anthropic.core.Params;
import com.anthropic.core.http.Interceptor;
import dev.costwise.integration.http.AttemptCarrier;
import java.util.List;
import java.util.Set;

/**
 * Makes an anthropic-java client record the usage of every message it creates (sync, async,
 * streamed) into the Costwise activity attempt current on the thread that starts the call, through
 * the SDK's own HTTP {@link Interceptor} hook. Outside a tracked activity nothing changes.
 *
 * <pre>{@code
 * AnthropicClient claude = CostwiseAnthropic.wrap(AnthropicOkHttpClient.fromEnv());
 * }</pre>
 *
 * <p>Semantics: Anthropic's {@code input_tokens} excludes cache reads and writes, which are
 * recorded apart; cache writes are split into 5-minute and 1-hour writes by {@code cache_creation};
 * thinking tokens are inside {@code output_tokens} and billed at the output rate. A streamed
 * message records the usage of {@code message_start} updated by the last cumulative {@code
 * message_delta}. The provider follows the endpoint's host: {@code anthropic}, {@code bedrock} or
 * {@code vertex_ai}; behind a host that names none (a gateway, a private endpoint), the shape of
 * the requested model ({@code us.anthropic.claude-…-v1:0}, {@code claude-…@20250929}) or the
 * message id's prefix tells. On Bedrock and Vertex the requested model id is the one priced, since
 * that is what the cloud bills (a cross-region profile costs more than the model in one region);
 * the SDK's backends hand interceptors the request before and the response after their own
 * translation, so both are in Anthropic's shape. Each record carries the message id, so a framework
 * over this client that records the same call is counted once.
 */
public final class CostwiseAnthropic {
  private static final AttemptCarrier.Sdk SDK =
      new AttemptCarrier.Sdk(
          Params.class,
          List.of("com.anthropic.client.", "com.anthropic.services."),
          Set.of("com.anthropic.core.http.AsyncStreamResponse"));

  private CostwiseAnthropic() {}

  /**
   * The interceptor, for clients built with {@code
   * .addInterceptor(CostwiseAnthropic.interceptor())}. Asynchronous calls of such a client are
   * recorded only when made through {@link #wrap(AnthropicClientAsync)}, which carries the attempt
   * to the pool thread the SDK sends from.
   */
  public static Interceptor interceptor() {
    return RecordingHttpClient::new;
  }

  /** A client sharing {@code client}'s configuration whose messages record their usage. */
  public static AnthropicClient wrap(AnthropicClient client) {
    if (client == null) {
      throw new IllegalArgumentException("client is null");
    }
    return AttemptCarrier.proxy(
        AnthropicClient.class, client.withOptions(b -> b.addInterceptor(interceptor())), SDK);
  }

  /** The asynchronous client's counterpart of {@link #wrap(AnthropicClient)}. */
  public static AnthropicClientAsync wrap(AnthropicClientAsync client) {
    if (client == null) {
      throw new IllegalArgumentException("client is null");
    }
    return AttemptCarrier.proxy(
        AnthropicClientAsync.class, client.withOptions(b -> b.addInterceptor(interceptor())), SDK);
  }
}
