package dev.costwise.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's LLM provider, in process: an HTTP server on a free loopback port that answers the
 * Anthropic Messages API ({@code POST /v1/messages}) the way the real one does, with the script and
 * the usage {@link SimulatedProviders#writeScript} gives for the brief in the request. The demo
 * calls it with the real anthropic-java client, so its cost is captured by Costwise's integration
 * with no cost code in the activity.
 */
public final class SimulatedLlm implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 1 << 20;

  private final HttpServer server;
  private final ExecutorService threads;
  private final AtomicLong ids = new AtomicLong();

  private SimulatedLlm(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /** Starts the provider on a free port of 127.0.0.1. */
  public static SimulatedLlm start() {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      ExecutorService threads =
          Executors.newFixedThreadPool(
              4,
              r -> {
                Thread t = new Thread(r, "costwise-demo-llm");
                t.setDaemon(true);
                return t;
              });
      SimulatedLlm llm = new SimulatedLlm(server, threads);
      server.createContext("/v1/messages", llm::messages);
      server.setExecutor(threads);
      server.start();
      return llm;
    } catch (IOException e) {
      throw new UncheckedIOException("the demo's simulated LLM did not start", e);
    }
  }

  /** The base URL to give the client, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void messages(HttpExchange ex) throws IOException {
    try (ex) {
      if (!"POST".equals(ex.getRequestMethod())) {
        send(ex, 405, error("invalid_request_error", "use POST"));
        return;
      }
      JsonNode body;
      try (InputStream in = ex.getRequestBody()) {
        byte[] bytes = in.readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) {
          send(ex, 413, error("request_too_large", "request body too large"));
          return;
        }
        body = JSON.readTree(bytes);
      }
      PipelineRequest brief;
      try {
        String text = body.path("messages").path(0).path("content").asText();
        if (text.isEmpty()) {
          text = body.path("messages").path(0).path("content").path(0).path("text").asText();
        }
        brief = JSON.readValue(text, PipelineRequest.class);
      } catch (IOException | RuntimeException e) {
        send(ex, 400, error("invalid_request_error", "the brief is not a pipeline request"));
        return;
      }
      SimulatedProviders.ScriptCall call = SimulatedProviders.writeScript(brief);
      ObjectNode script = JSON.createObjectNode();
      script.put("title", call.title());
      script.putPOJO("scenes", call.scenes());
      script.put("narration", call.narration());
      ObjectNode reply = JSON.createObjectNode();
      reply.put("id", "msg_demo_" + ids.incrementAndGet());
      reply.put("type", "message");
      reply.put("role", "assistant");
      reply.put("model", SimulatedProviders.LLM_MODEL);
      reply.putArray("content").addObject().put("type", "text").put("text", script.toString());
      reply.put("stop_reason", "end_turn");
      reply.putNull("stop_sequence");
      ObjectNode usage = reply.putObject("usage");
      usage.put("input_tokens", call.inputTokens()); // the fresh brief; cached prompt apart
      usage.put("cache_read_input_tokens", call.cacheReadTokens());
      usage.put("cache_creation_input_tokens", 0);
      usage.put("output_tokens", call.outputTokens());
      send(ex, 200, reply);
    }
  }

  private static ObjectNode error(String type, String message) {
    ObjectNode e = JSON.createObjectNode();
    e.put("type", "error");
    e.putObject("error").put("type", type).put("message", message);
    return e;
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set("request-id", "req_demo");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  /** Stops the server. */
  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
