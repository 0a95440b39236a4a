package dev.costwise.integration.anthropic;

import com.anthropic.core.RequestOptions;
import com.anthropic.core.http.Headers;
import com.anthropic.core.http.HttpClient;
import com.anthropic.core.http.HttpMethod;
import com.anthropic.core.http.HttpRequest;
import com.anthropic.core.http.HttpRequestBody;
import com.anthropic.core.http.HttpResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.integration.http.AttemptCarrier;
import dev.costwise.integration.http.Json;
import dev.costwise.integration.http.SseTap;
import dev.costwise.integration.http.UsageSink;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport as seen by a Costwise interceptor: every attempt's response to a message creation
 * passes through, and the usage it reports is recorded into the activity attempt current when the
 * request started. Failed attempts report no usage and record nothing.
 */
final class RecordingHttpClient implements HttpClient {
  private static final Logger log = LoggerFactory.getLogger(RecordingHttpClient.class);

  private final HttpClient next;

  RecordingHttpClient(HttpClient next) {
    this.next = next;
  }

  @Override
  public HttpResponse execute(HttpRequest request, RequestOptions requestOptions) {
    Call call = Call.start(request);
    if (call == null) {
      return next.execute(untagged(request), requestOptions);
    }
    return call.tap(next.execute(call.request, requestOptions));
  }

  @Override
  public CompletableFuture<HttpResponse> executeAsync(
      HttpRequest request, RequestOptions requestOptions) {
    Call call = Call.start(request);
    if (call == null) {
      return next.executeAsync(untagged(request), requestOptions);
    }
    return next.executeAsync(call.request, requestOptions).thenApply(call::tap);
  }

  @Override
  public void close() {
    next.close();
  }

  /** The request to send: without the attempt token, which never leaves the process. */
  static HttpRequest untagged(HttpRequest request) {
    return request.headers().values(AttemptCarrier.HEADER).isEmpty()
        ? request
        : request.toBuilder().removeHeaders(AttemptCarrier.HEADER).build();
  }

  /** Whether the request creates a message ({@code POST /v1/messages}). */
  static boolean createsMessage(HttpRequest request) {
    if (request.method() != HttpMethod.POST) {
      return false;
    }
    List<String> path = request.pathSegments().stream().filter(s -> !s.isEmpty()).toList();
    return !path.isEmpty() && path.get(path.size() - 1).equalsIgnoreCase("messages");
  }

  /**
   * The model a message creation asks for, read from its JSON body, which the SDK keeps in memory;
   * null when the body is not repeatable or larger than {@link Json#MAX_BODY}.
   */
  static String requestedModel(HttpRequest request) {
    HttpRequestBody body = request.body().orElse(null);
    if (body == null || !body.repeatable() || body.contentLength() > Json.MAX_BODY) {
      return null;
    }
    ByteArrayOutputStream out =
        new ByteArrayOutputStream((int) Math.max(256, Math.min(body.contentLength(), 1 << 16)));
    try {
      body.writeTo(out);
    } catch (RuntimeException e) {
      // the transport meets the same body and reports its failure; the answer names a model
      log.debug("Cannot read the model of a message request: {}", e.toString());
      return null;
    }
    return Json.topLevelText(out.toByteArray(), "model");
  }

  /** One message creation in flight. */
  static final class Call {
    final UsageSink sink;
    final String byEndpoint;
    final String requested;
    final HttpRequest request;

    private Call(UsageSink sink, String byEndpoint, String requested, HttpRequest request) {
      this.sink = sink;
      this.byEndpoint = byEndpoint;
      this.requested = requested;
      this.request = request;
    }

    /** Records one message's usage, priced as the provider that served it bills it. */
    void record(String id, String answeredModel, JsonNode usage) {
      AnthropicUsage.Billing billing =
          AnthropicUsage.billing(byEndpoint, requested, id, answeredModel);
      sink.record(AnthropicUsage.of(billing.provider(), billing.model(), usage), id);
    }

    static Call start(HttpRequest tagged) {
      if (!createsMessage(tagged)) {
        return null;
      }
      UsageSink sink = UsageSink.capture();
      if (!sink.active()) {
        List<String> token = tagged.headers().values(AttemptCarrier.HEADER);
        sink = token.isEmpty() ? sink : UsageSink.of(AttemptCarrier.resolve(token.get(0)));
      }
      if (!sink.active()) {
        return null;
      }
      String byEndpoint = AnthropicUsage.providerOfEndpoint(tagged.baseUrl());
      // Anthropic's own API names the model it served; elsewhere the request says what is billed
      String requested = "anthropic".equals(byEndpoint) ? null : requestedModel(tagged);
      return new Call(sink, byEndpoint, requested, untagged(tagged));
    }

    HttpResponse tap(HttpResponse response) {
      int status = response.statusCode();
      if (status < 200 || status >= 300) {
        return response;
      }
      List<String> types = response.headers().values("Content-Type");
      String type = types.isEmpty() ? "" : types.get(0).toLowerCase(Locale.ROOT);
      if (type.startsWith("text/event-stream")) {
        return new TappedResponse(response, new SseTap(response.body(), new StreamUsage()));
      }
      Json.Read read;
      try {
        read = Json.readBounded(response.body());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      InputStream replay = new ByteArrayInputStream(read.bytes());
      if (read.truncated()) {
        return new TappedResponse(response, new SequenceInputStream(replay, response.body()));
      }
      JsonNode body = Json.parse(read.bytes());
      if (body != null) {
        record(Json.text(body, "id"), Json.text(body, "model"), body.get("usage"));
      }
      return new TappedResponse(response, replay);
    }

    /**
     * A streamed message: usage starts in {@code message_start} and each {@code message_delta}
     * carries cumulative figures; recorded at {@code message_stop}, or when the stream ends early,
     * with the last figures the provider reported.
     */
    private final class StreamUsage implements SseTap.Listener {
      private String id;
      private String model;
      private ObjectNode usage;
      private boolean recorded;

      @Override
      public void onEvent(String event, String data) {
        String type = event;
        if (type == null
            || !(type.equals("message_start")
                || type.equals("message_delta")
                || type.equals("message_stop"))) {
          if (type != null) {
            return;
          }
        }
        JsonNode node = Json.parse(data);
        if (node == null) {
          return;
        }
        type = Json.text(node, "type") != null ? Json.text(node, "type") : type;
        if ("message_start".equals(type)) {
          JsonNode message = node.get("message");
          id = Json.text(message, "id");
          model = Json.text(message, "model");
          usage = JsonNodeFactory.instance.objectNode();
          AnthropicUsage.merge(usage, message == null ? null : message.get("usage"));
        } else if ("message_delta".equals(type) && usage != null) {
          AnthropicUsage.merge(usage, node.get("usage"));
        } else if ("message_stop".equals(type)) {
          record();
        }
      }

      @Override
      public void onEnd(boolean complete) {
        record();
      }

      private void record() {
        if (!recorded && usage != null) {
          recorded = true;
          Call.this.record(id, model, usage);
        }
      }
    }
  }

  /** The provider's response with its body replaced by one the usage was read from. */
  private static final class TappedResponse implements HttpResponse {
    private final HttpResponse delegate;
    private final InputStream body;

    TappedResponse(HttpResponse delegate, InputStream body) {
      this.delegate = delegate;
      this.body = body;
    }

    @Override
    public int statusCode() {
      return delegate.statusCode();
    }

    @Override
    public Headers headers() {
      return delegate.headers();
    }

    @Override
    public InputStream body() {
      return body;
    }

    @Override
    public void close() {
      try {
        body.close();
      } catch (IOException ignored) {
        // the delegate's close below releases the connection
      }
      delegate.close();
    }
  }
}
