package dev.costwise.integration.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.core.RequestOptions;
import com.openai.core.http.Headers;
import com.openai.core.http.HttpClient;
import com.openai.core.http.HttpMethod;
import com.openai.core.http.HttpRequest;
import com.openai.core.http.HttpRequestBody;
import com.openai.core.http.HttpResponse;
import dev.costwise.integration.http.AttemptCarrier;
import dev.costwise.integration.http.FormFieldTap;
import dev.costwise.integration.http.Json;
import dev.costwise.integration.http.Multipart;
import dev.costwise.integration.http.SseTap;
import dev.costwise.integration.http.UsageSink;
import dev.costwise.usage.Usage;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * An openai-java transport that records the usage each billable response reports into the activity
 * attempt that was current when the request started. It sits below the SDK's retries, so each
 * attempt's response passes through it; failed attempts report no usage and record nothing.
 */
final class RecordingHttpClient implements HttpClient {
  /** Model recorded when an upload's form could not be read. */
  static final String UNKNOWN_MODEL = "unknown-openai-upload-model";

  private final HttpClient next;

  RecordingHttpClient(HttpClient next) {
    this.next = next;
  }

  @Override
  public HttpResponse execute(HttpRequest request, RequestOptions requestOptions) {
    Call call = Call.start(request);
    if (call == null) {
      return next.execute(Call.untagged(request), requestOptions);
    }
    return call.tap(next.execute(call.request, requestOptions));
  }

  @Override
  public CompletableFuture<HttpResponse> executeAsync(
      HttpRequest request, RequestOptions requestOptions) {
    Call call = Call.start(request);
    if (call == null) {
      return next.executeAsync(Call.untagged(request), requestOptions);
    }
    return next.executeAsync(call.request, requestOptions).thenApply(call::tap);
  }

  /**
   * Does not close the transport: it is shared with the client this one was made from, whose own
   * handle closes it (or releases it when no client holds it any more). openai-java closes a
   * transport set through its builder when the client becomes unreachable, so closing through here
   * would let a discarded wrapped client close the transport under the original.
   */
  @Override
  public void close() {}

  /** The billable endpoints. */
  enum Endpoint {
    CHAT,
    RESPONSES,
    EMBEDDINGS,
    IMAGES,
    SPEECH,
    TRANSCRIPTION;

    static Endpoint of(HttpRequest request) {
      if (request.method() != HttpMethod.POST) {
        return null;
      }
      List<String> path = request.pathSegments().stream().filter(s -> !s.isEmpty()).toList();
      if (path.isEmpty()) {
        return null;
      }
      String last = path.get(path.size() - 1).toLowerCase(Locale.ROOT);
      String before = path.size() > 1 ? path.get(path.size() - 2).toLowerCase(Locale.ROOT) : "";
      return switch (last) {
        case "completions" -> CHAT; // chat completions and legacy completions share the shape
        case "responses" -> RESPONSES;
        case "embeddings" -> EMBEDDINGS;
        case "generations", "edits", "variations" -> before.equals("images") ? IMAGES : null;
        case "speech" -> before.equals("audio") ? SPEECH : null;
        case "transcriptions", "translations" -> before.equals("audio") ? TRANSCRIPTION : null;
        default -> null;
      };
    }
  }

  /** One request in flight: where its usage goes and what the request said. */
  static final class Call {
    final UsageSink sink;
    final Endpoint endpoint;
    final String provider;
    final HttpRequest request;
    final JsonNode params;
    final String formModel;
    final FormFieldTap sentModel;

    private Call(
        UsageSink sink,
        Endpoint endpoint,
        String provider,
        HttpRequest request,
        JsonNode params,
        String formModel,
        FormFieldTap sentModel) {
      this.sink = sink;
      this.endpoint = endpoint;
      this.provider = provider;
      this.request = request;
      this.params = params;
      this.formModel = formModel;
      this.sentModel = sentModel;
    }

    /** The request to send: without the attempt token, which never leaves the process. */
    static HttpRequest untagged(HttpRequest request) {
      return request.headers().values(AttemptCarrier.HEADER).isEmpty()
          ? request
          : request.toBuilder().removeHeaders(AttemptCarrier.HEADER).build();
    }

    /** Null when the request is not billable or no attempt is being tracked. */
    static Call start(HttpRequest tagged) {
      HttpRequest request = untagged(tagged);
      Endpoint endpoint = Endpoint.of(request);
      if (endpoint == null) {
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
      String provider = OpenAiUsage.provider(request.baseUrl());
      HttpRequestBody body = request.body();
      JsonNode params = null;
      String formModel = null;
      FormFieldTap sentModel = null;
      String type = body == null || body.contentType() == null ? "" : body.contentType();
      if (body != null && !body.repeatable() && type.startsWith("multipart/form-data")) {
        // a file streamed from an InputStream can be read once: find the model as it is sent
        sentModel = new FormFieldTap("model");
        request = request.toBuilder().body(new TappedBody(body, sentModel)).build();
      } else if (body != null && body.repeatable()) {
        // a chat request's body is read only when streamed (to ask for usage in the stream)
        if (type.startsWith("application/json")
            && ((endpoint == Endpoint.CHAT && acceptsEvents(request))
                || endpoint == Endpoint.IMAGES
                || endpoint == Endpoint.SPEECH)) {
          byte[] bytes = read(body);
          params = bytes == null ? null : Json.parse(bytes);
        } else if (type.startsWith("multipart/form-data")) {
          byte[] bytes = read(body);
          formModel = bytes == null ? null : Multipart.field(bytes, "model");
        }
      }
      if (endpoint == Endpoint.CHAT && params instanceof ObjectNode p && wantsStreamUsage(p)) {
        ObjectNode streamOptions =
            p.get("stream_options") instanceof ObjectNode o ? o : p.putObject("stream_options");
        streamOptions.put("include_usage", true);
        request =
            request.toBuilder()
                .body(new JsonBody(p.toString().getBytes(StandardCharsets.UTF_8)))
                .build();
      }
      return new Call(sink, endpoint, provider, request, params, formModel, sentModel);
    }

    /** Whether the SDK asked for server-sent events, as it does for every streamed call. */
    private static boolean acceptsEvents(HttpRequest request) {
      for (String accept : request.headers().values("Accept")) {
        if (accept.contains("text/event-stream")) {
          return true;
        }
      }
      return false;
    }

    /** A streamed chat request that did not say whether to report usage in the stream. */
    private static boolean wantsStreamUsage(ObjectNode p) {
      JsonNode so = p.get("stream_options");
      return p.path("stream").asBoolean(false)
          && (so == null || so.isNull() || (so.isObject() && !so.has("include_usage")));
    }

    private static byte[] read(HttpRequestBody body) {
      if (body.contentLength() > Json.MAX_BODY) {
        return null;
      }
      try (InputStream in = body.content()) {
        Json.Read r = Json.readBounded(in);
        return r.truncated() ? null : r.bytes();
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    HttpResponse tap(HttpResponse response) {
      int status = response.statusCode();
      if (status < 200 || status >= 300) {
        return response; // no usage on a failed call
      }
      String responseId = response.requestId().orElse(null);
      if (endpoint == Endpoint.SPEECH) {
        recordSpeech(responseId);
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
        recordBody(body, responseId);
      }
      return new TappedResponse(response, replay);
    }

    private void recordBody(JsonNode body, String headerId) {
      String id = Json.text(body, "id") != null ? Json.text(body, "id") : headerId;
      switch (endpoint) {
        case RESPONSES -> sink.record(OpenAiUsage.response(provider, body), id);
        case CHAT, EMBEDDINGS ->
            sink.record(
                OpenAiUsage.tokens(
                    provider,
                    Json.text(body, "model"),
                    body.get("usage"),
                    Json.text(body, "service_tier")),
                id);
        case IMAGES -> sink.record(images(body), id);
        case TRANSCRIPTION ->
            sink.record(OpenAiUsage.transcription(provider, uploadModel(), body), id);
        default -> {}
      }
    }

    /** The model the request named; for a form streamed from an InputStream, as it was sent. */
    private String model() {
      if (params != null) {
        return Json.text(params, "model");
      }
      return formModel != null || sentModel == null ? formModel : sentModel.value();
    }

    /**
     * The model of an upload. When the form could not be read (larger than {@link Json#MAX_BODY},
     * or the response came before the model field was sent), the usage is stored unpriced under a
     * model that says so, never dropped.
     */
    private String uploadModel() {
      String m = model();
      return m != null ? m : UNKNOWN_MODEL;
    }

    private Usage images(JsonNode body) {
      String model = params != null ? model() : uploadModel();
      if (model == null) {
        model = "dall-e-2"; // the API's default image model
      }
      JsonNode usage = body.get("usage");
      if (usage != null && usage.isObject()) {
        return Usage.of(provider, model)
            .inputTokens(Json.count(usage, "input_tokens"))
            .outputTokens(Json.count(usage, "output_tokens"))
            .build();
      }
      JsonNode data = body.get("data");
      int n = data != null && data.isArray() ? data.size() : 0;
      if (n == 0) {
        return null;
      }
      String size = params == null ? null : Json.text(params, "size");
      String quality = params == null ? null : Json.text(params, "quality");
      if (model.startsWith("dall-e-3")) {
        size = size == null ? "1024x1024" : size;
        quality = quality == null ? "standard" : quality;
      }
      return Usage.of(provider, model).images(n, size, quality).build();
    }

    private void recordSpeech(String responseId) {
      String model = model();
      String input = params == null ? null : Json.text(params, "input");
      if (model == null || input == null) {
        return;
      }
      long characters = input.codePointCount(0, input.length());
      sink.record(Usage.of(provider, model).characters(characters).build(), responseId);
    }

    /** Usage reported inside a stream: the chat chunk that carries it, or the final response. */
    private final class StreamUsage implements SseTap.Listener {
      @Override
      public void onEvent(String event, String data) {
        if (!data.contains("\"usage\"")) {
          return;
        }
        JsonNode node = Json.parse(data);
        if (node == null) {
          return;
        }
        if (endpoint == Endpoint.RESPONSES) {
          String type = Json.text(node, "type");
          if (type == null || event != null && !event.equals(type)) {
            type = event;
          }
          if ("response.completed".equals(type)
              || "response.incomplete".equals(type)
              || "response.failed".equals(type)) {
            JsonNode r = node.get("response");
            sink.record(OpenAiUsage.response(provider, r), Json.text(r, "id"));
          }
          return;
        }
        JsonNode usage = node.get("usage");
        if (usage != null && usage.isObject()) {
          sink.record(
              OpenAiUsage.tokens(
                  provider, Json.text(node, "model"), usage, Json.text(node, "service_tier")),
              Json.text(node, "id"));
        }
      }

      @Override
      public void onEnd(boolean complete) {}
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

  /**
   * A request body that can be sent once, passed through unchanged while its bytes are shown to a
   * {@link FormFieldTap} on the way.
   */
  private static final class TappedBody implements HttpRequestBody {
    private final HttpRequestBody body;
    private final FormFieldTap tap;

    TappedBody(HttpRequestBody body, FormFieldTap tap) {
      this.body = body;
      this.tap = tap;
    }

    @Override
    public void writeTo(OutputStream out) {
      body.writeTo(
          new OutputStream() {
            @Override
            public void write(int b) throws IOException {
              out.write(b);
              tap.accept(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
              tap.accept(b, off, len);
            }

            @Override
            public void flush() throws IOException {
              out.flush();
            }
          });
    }

    @Override
    public InputStream content() {
      InputStream in = body.content();
      return new FilterInputStream(in) {
        @Override
        public int read() throws IOException {
          int b = super.read();
          if (b >= 0) {
            tap.accept(new byte[] {(byte) b}, 0, 1);
          }
          return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = super.read(b, off, len);
          tap.accept(b, off, n);
          return n;
        }
      };
    }

    @Override
    public String contentType() {
      return body.contentType();
    }

    @Override
    public long contentLength() {
      return body.contentLength();
    }

    @Override
    public boolean repeatable() {
      return body.repeatable();
    }

    @Override
    public void close() {
      body.close();
    }
  }

  /** A JSON request body held in memory (the chat request with stream usage requested). */
  private static final class JsonBody implements HttpRequestBody {
    private final byte[] bytes;

    JsonBody(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public void writeTo(OutputStream out) {
      try {
        out.write(bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public InputStream content() {
      return new ByteArrayInputStream(bytes);
    }

    @Override
    public String contentType() {
      return "application/json";
    }

    @Override
    public long contentLength() {
      return bytes.length;
    }

    @Override
    public boolean repeatable() {
      return true;
    }

    @Override
    public void close() {}
  }
}
