package dev.costwise.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A model provider's HTTP API on a free loopback port, answering each path with scripted replies in
 * order (JSON bodies or server-sent events), and keeping what it received; the SDK under test is
 * pointed at {@link #baseUrl()}.
 */
public final class FakeProvider implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, Deque<Reply>> replies = new ConcurrentHashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();

  /** One scripted answer. */
  public record Reply(int status, String contentType, String body, Map<String, String> headers) {
    /** A JSON answer. */
    public static Reply json(int status, String body) {
      return new Reply(status, "application/json", body, Map.of());
    }

    /** A 200 JSON answer. */
    public static Reply json(String body) {
      return json(200, body);
    }

    /** A 200 server-sent-events answer; {@code events} is the raw stream text. */
    public static Reply sse(String events) {
      return new Reply(200, "text/event-stream", events, Map.of());
    }

    /** A 200 answer of any type. */
    public static Reply bytes(String contentType, String body) {
      return new Reply(200, contentType, body, Map.of());
    }

    /** This answer with one more header. */
    public Reply header(String name, String value) {
      Map<String, String> h = new java.util.HashMap<>(headers);
      h.put(name, value);
      return new Reply(status, contentType, body, Map.copyOf(h));
    }
  }

  /** A request the provider received; header names in lower case. */
  public record Received(String method, String path, String body, Map<String, String> headers) {}

  /** Starts on a free loopback port. */
  public FakeProvider() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException("fake provider did not start", e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
  }

  /** {@code http://127.0.0.1:port}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Queues {@code replies} for requests to {@code path}, answered in order. */
  public FakeProvider on(String path, Reply... answers) {
    replies.computeIfAbsent(path, p -> new ArrayDeque<>()).addAll(List.of(answers));
    return this;
  }

  /** Requests received so far. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** Forgets scripted replies and received requests. */
  public void reset() {
    replies.clear();
    received.clear();
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String path = ex.getRequestURI().getPath();
    Map<String, String> headers = new java.util.TreeMap<>();
    ex.getRequestHeaders()
        .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
    received.add(new Received(ex.getRequestMethod(), path, body, headers));
    Deque<Reply> queue = replies.get(path);
    Reply reply;
    synchronized (this) {
      reply = queue == null ? null : queue.poll();
    }
    if (reply == null) {
      reply = Reply.json(404, "{\"error\":{\"message\":\"no scripted reply for " + path + "\"}}");
    }
    byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", reply.contentType());
    reply.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    ex.sendResponseHeaders(reply.status(), bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
