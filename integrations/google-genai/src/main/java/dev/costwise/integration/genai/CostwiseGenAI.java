package dev.costwise.integration.genai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.costwise.integration.http.Json;
import dev.costwise.integration.http.SseTap;
import dev.costwise.integration.http.UsageSink;
import java.io.IOException;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Okio;

/**
 * Makes a google-genai client record the usage of every Gemini {@code generateContent} call (sync,
 * async, streamed) into the Costwise activity attempt current on the thread that makes the call.
 * The SDK accepts a custom OkHttp client ({@code ClientOptions.customHttpClient}); this one carries
 * an event-listener factory, which OkHttp calls on the caller's thread when the call is created (so
 * the attempt is known even when the SDK sends from a pool thread), and an interceptor that reads
 * {@code usageMetadata} from each successful response.
 *
 * <pre>{@code
 * Client gemini = Client.builder().apiKey(key)
 *     .clientOptions(ClientOptions.builder().customHttpClient(CostwiseGenAI.httpClient()).build())
 *     .build();
 * }</pre>
 */
public final class CostwiseGenAI {
  private static final Map<Call, UsageSink> CALLS =
      Collections.synchronizedMap(new WeakHashMap<>());

  private CostwiseGenAI() {}

  /** A new OkHttp client that records usage. */
  public static OkHttpClient httpClient() {
    return httpClient(new OkHttpClient());
  }

  /** {@code base} (its pool, dispatcher, timeouts, listeners kept) recording usage. */
  public static OkHttpClient httpClient(OkHttpClient base) {
    if (base == null) {
      throw new IllegalArgumentException("base client is null");
    }
    EventListener.Factory previous = base.eventListenerFactory();
    return base.newBuilder()
        .eventListenerFactory(
            call -> {
              UsageSink sink = UsageSink.capture();
              if (sink.active()) {
                CALLS.put(call, sink);
              }
              return previous.create(call);
            })
        .addInterceptor(CostwiseGenAI::intercept)
        .build();
  }

  private static Response intercept(Interceptor.Chain chain) throws IOException {
    Response response = chain.proceed(chain.request());
    String path = chain.request().url().encodedPath();
    boolean stream = path.endsWith(":streamGenerateContent");
    if (!response.isSuccessful() || !(stream || path.endsWith(":generateContent"))) {
      return response;
    }
    UsageSink sink = CALLS.get(chain.call());
    ResponseBody body = response.body();
    if (sink == null || !sink.active() || body == null) {
      return response;
    }
    String provider = GeminiUsage.provider(chain.request().url().host(), path);
    String pathModel = GeminiUsage.modelFromPath(path);
    MediaType type = body.contentType();
    if (type != null && type.toString().toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
      Last last = new Last();
      SseTap tap =
          new SseTap(
              body.byteStream(),
              new SseTap.Listener() {
                @Override
                public void onEvent(String event, String data) {
                  if (data.contains("\"usageMetadata\"")) {
                    JsonNode node = Json.parse(data);
                    if (node != null) {
                      last.node = node;
                    }
                  }
                }

                @Override
                public void onEnd(boolean complete) {
                  record(sink, provider, pathModel, last.node);
                }
              });
      return response
          .newBuilder()
          .body(ResponseBody.create(Okio.buffer(Okio.source(tap)), type, -1))
          .build();
    }
    byte[] bytes = body.bytes();
    record(sink, provider, pathModel, Json.parse(bytes));
    return response.newBuilder().body(ResponseBody.create(bytes, type)).build();
  }

  private static void record(UsageSink sink, String provider, String pathModel, JsonNode r) {
    if (r == null) {
      return;
    }
    String model = Json.text(r, "modelVersion") != null ? Json.text(r, "modelVersion") : pathModel;
    sink.record(
        GeminiUsage.of(provider, model, r.get("usageMetadata")), Json.text(r, "responseId"));
  }

  private static final class Last {
    volatile JsonNode node;
  }
}
