package dev.costwise.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback webhook that refuses its first {@code failFirst} posts with 503, then keeps the
 * bodies.
 */
final class WebhookReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;
  private final List<JsonNode> accepted = new CopyOnWriteArrayList<>();
  private final AtomicInteger posts = new AtomicInteger();

  WebhookReceiver(int failFirst) {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/alerts",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          int status = 200;
          if (posts.incrementAndGet() <= failFirst) {
            status = 503;
          } else {
            accepted.add(JSON.readTree(new String(body, StandardCharsets.UTF_8)));
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/alerts");
  }

  /** Bodies accepted (2xx) for alerts of {@code subject}. */
  List<JsonNode> accepted(String subject) {
    return accepted.stream().filter(n -> n.get("subject").asText().equals(subject)).toList();
  }

  int posts() {
    return posts.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
