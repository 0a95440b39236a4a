package dev.costwise.integration.anthropic;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import software.amazon.eventstream.HeaderValue;
import software.amazon.eventstream.Message;

/**
 * Amazon Bedrock's InvokeModelWithResponseStream on a free loopback port: every request is answered
 * with AWS event-stream frames, each an {@code event} of type {@code chunk} whose JSON payload
 * holds one Anthropic stream event, base64-encoded, under {@code bytes}; the paths requested are
 * kept.
 */
final class EventStreamServer implements AutoCloseable {
  private final HttpServer server;
  private final List<String> paths = new CopyOnWriteArrayList<>();
  private volatile byte[] frames = new byte[0];

  EventStreamServer() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException("event-stream server did not start", e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }

  /** {@code http://127.0.0.1:port}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /**
   * Answers the next requests with one frame per Anthropic stream event (JSON) in {@code events}.
   */
  void answer(List<String> events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String event : events) {
      String payload =
          "{\"bytes\":\""
              + Base64.getEncoder().encodeToString(event.getBytes(StandardCharsets.UTF_8))
              + "\",\"p\":\"abcdefghijklmnop\"}";
      Map<String, HeaderValue> headers = new LinkedHashMap<>();
      headers.put(":event-type", HeaderValue.fromString("chunk"));
      headers.put(":content-type", HeaderValue.fromString("application/json"));
      headers.put(":message-type", HeaderValue.fromString("event"));
      ByteBuffer frame =
          new Message(headers, payload.getBytes(StandardCharsets.UTF_8)).toByteBuffer();
      byte[] bytes = new byte[frame.remaining()];
      frame.get(bytes);
      out.writeBytes(bytes);
    }
    frames = out.toByteArray();
  }

  /** The request paths received so far. */
  List<String> paths() {
    return List.copyOf(paths);
  }

  private void handle(HttpExchange ex) throws IOException {
    ex.getRequestBody().readAllBytes();
    paths.add(ex.getRequestURI().getPath());
    byte[] body = frames;
    ex.getResponseHeaders().set("Content-Type", "application/vnd.amazon.eventstream");
    ex.getResponseHeaders().set("x-amzn-bedrock-content-type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
