package dev.costwise.worker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.Outcome;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.worker.CostwiseWorker;
import dev.costwise.worker.StartupException;
import dev.costwise.worker.TestWorkers;
import dev.costwise.worker.WorkerHttpBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server as a hostile client sees it, on a real worker bound to a free loopback port: bad
 * input, a failing database query, slow and idle connections, formula text in the CSV export, the
 * startup banner.
 */
class HttpApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static final String FORMULA_MODEL = "=HYPERLINK(\"http://example.invalid\",\"click\")";

  @TempDir static Path dataDir;
  private static CostwiseWorker worker;
  private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();

  @BeforeAll
  static void start() {
    LOG.start();
    ((Logger) LoggerFactory.getLogger(HttpApi.class)).addAppender(LOG);
    ((Logger) LoggerFactory.getLogger(CostwiseWorker.class)).addAppender(LOG);
    worker = CostwiseWorker.start(TestWorkers.config(dataDir).build());
    Instant now = Instant.now();
    AttemptContext ctx =
        new AttemptContext(
            "default", "@wf-1", "Publish", "run-1", "1", "-WriteScript", 1, "costwise-test", now);
    Usage usage = Usage.of("openai", FORMULA_MODEL).inputTokens(1000).build();
    worker
        .store()
        .record(
            new AttemptCost(
                ctx,
                Outcome.COMPLETED,
                List.of(new PricedUsage(usage, PRICER.priceLenient(usage))),
                Map.of("tenant", "+cmd|' /C calc'!A0"),
                now));
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    ((Logger) LoggerFactory.getLogger(HttpApi.class)).detachAppender(LOG);
    ((Logger) LoggerFactory.getLogger(CostwiseWorker.class)).detachAppender(LOG);
  }

  @Test
  void badInputIsA4xxWithAShortMessageAndNoSql() throws Exception {
    String huge = "x".repeat(5_000);
    List<String> paths =
        List.of(
            "/api/totals?from=%2B1000000000-01-01T00:00:00Z",
            "/api/totals?to=-1000000000-01-01T00:00:00Z",
            "/api/steps.csv?from=-999999999-01-01T00:00:00Z&to=%2B999999999-12-31T23:59:59Z",
            "/api/totals?from=" + huge,
            "/api/totals?from=2026-13-45",
            "/api/totals?from=2026-11-02&to=2026-11-01",
            "/api/totals?groupBy=" + huge,
            "/api/totals?period=" + huge,
            "/api/dashboard?days=" + huge,
            "/api/dashboard?days=0",
            "/api/workflows/%00",
            "/api/executions/%00/report",
            "/api/executions/",
            "/api/executions//report",
            "/api/executions/" + huge,
            "/api/executions/report",
            "/api/executions/no-such-run/report",
            "/api/workflows/no-such-workflow",
            "/api/" + huge,
            "/" + huge);
    for (String path : paths) {
      HttpResponse<String> r = get(path);
      String what = path.length() > 100 ? path.substring(0, 100) + "..." : path;
      assertThat(r.statusCode()).as(what).isBetween(400, 499);
      assertThat(r.body()).as(what).hasSizeLessThan(400);
      assertThat(r.body())
          .as(what)
          .doesNotContain("SELECT", "cost_step", "cost_execution", "Exception", "begin ")
          .doesNotContain("x".repeat(HttpError.ECHO_LIMIT + 1));
      assertThat(JSON.readTree(r.body()).path("error").asText()).as(what).isNotBlank();
    }
    // a malformed escape no URI class would send
    String raw = raw("GET /api/totals?from=%zz HTTP/1.1");
    assertThat(raw).startsWith("HTTP/1.1 400 ").doesNotContain("zz");
    assertThat(raw("GET /api/workflows/%00 HTTP/1.1")).startsWith("HTTP/1.1 400 ");
    assertThat(get("/api/executions/report").statusCode()).isEqualTo(404);
    assertThat(get("/api/workflows/%00").statusCode()).isEqualTo(400);
    assertThat(post("/health").statusCode()).isEqualTo(405);
  }

  @Test
  void aRefusalThatClosesTheConnectionSaysSoSoKeepAliveClientsDoNotReuseIt() throws Exception {
    // each bad request is followed on the same connection by a good one: the server must either
    // answer it or have said "Connection: close" with the refusal (a pooling client that reuses a
    // silently closed connection fails its next request, and does not retry a POST)
    for (String bad :
        List.of(
            "GET /api/workflows/%00 HTTP/1.1",
            "GET /api/executions//report HTTP/1.1",
            "GET /api/totals?from=%zz HTTP/1.1",
            "GET /api/executions/report HTTP/1.1",
            "GET /" + "x".repeat(5_000) + " HTTP/1.1")) {
      try (Socket s = new Socket("127.0.0.1", worker.http().port())) {
        s.setSoTimeout(10_000);
        s.getOutputStream()
            .write(
                (bad
                        + "\r\nHost: 127.0.0.1\r\n\r\n"
                        + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
        String both = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String what = bad.substring(0, Math.min(bad.length(), 60));
        assertThat(both).as(what).startsWith("HTTP/1.1 4");
        String first = both.substring(0, both.indexOf("\r\n\r\n"));
        boolean secondAnswered = both.indexOf("HTTP/1.1 200 ") > 0;
        assertThat(secondAnswered || first.toLowerCase(Locale.ROOT).contains("connection: close"))
            .as(what + ": next request answered, or the refusal said the connection closes")
            .isTrue();
      }
    }
  }

  @Test
  void aServerErrorIsA500WithAnIdAndNoInternalsWhileTheLogHasTheDetails() throws Exception {
    HttpResponse<String> r;
    try (Connection c = worker.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("ALTER TABLE cost_step RENAME TO cost_step_away");
      try {
        // a range that does not start at midnight is summed from the step table
        r = get("/api/totals?from=2026-01-01T00:00:01Z");
      } finally {
        s.execute("ALTER TABLE cost_step_away RENAME TO cost_step");
      }
    }
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).hasSizeLessThan(300).doesNotContain("cost_step", "SELECT", "ERROR");
    String id = JSON.readTree(r.body()).path("errorId").asText();
    assertThat(id).matches("[0-9a-f]{8}");
    assertThat(LOG.list)
        .anySatisfy(
            e -> {
              assertThat(e.getFormattedMessage()).contains(id);
              assertThat(e.getThrowableProxy()).isNotNull();
            });
    assertThat(get("/api/totals?from=2026-01-01T00:00:01Z").statusCode()).isEqualTo(200);
  }

  @Test
  void slowAndIdleClientsTimeOutWithoutStarvingTheProbes() throws Exception {
    int port = worker.http().port();
    int slowClients = HttpApi.MAX_THREADS + 4;
    List<Socket> sockets = new ArrayList<>();
    ExecutorService trickle = Executors.newCachedThreadPool();
    AtomicBoolean stop = new AtomicBoolean();
    try {
      for (int i = 0; i < slowClients; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        sockets.add(s);
        trickle.submit(() -> sendHeadersSlowly(s, stop));
      }
      Socket idle = new Socket();
      idle.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      sockets.add(idle);

      // the slow clients are all mid-request now; the probes still answer promptly
      Thread.sleep(500);
      for (int i = 0; i < 5; i++) {
        for (String probe : List.of("/health", "/metrics")) {
          HttpRequest req =
              HttpRequest.newBuilder(URI.create(worker.http().baseUrl() + probe))
                  .timeout(Duration.ofSeconds(3))
                  .build();
          assertThat(HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode())
              .as(probe)
              .isEqualTo(200);
        }
      }

      // every slow or idle connection is closed by the server, well within a generous bound
      long bound = HttpApi.IDLE_TIMEOUT.plus(HttpApi.REQUEST_TIMEOUT).toMillis() + 10_000;
      List<Future<Boolean>> closed = new ArrayList<>();
      for (Socket s : sockets) {
        closed.add(trickle.submit(() -> closedByServer(s, (int) bound)));
      }
      for (Future<Boolean> f : closed) {
        assertThat(f.get(bound + 5_000, TimeUnit.MILLISECONDS)).isTrue();
      }
    } finally {
      stop.set(true);
      trickle.shutdownNow();
      for (Socket s : sockets) {
        s.close();
      }
    }
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void aHealthyKeepAliveClientIsNotCutOffByTheRequestDeadline() throws Exception {
    try (Socket s = new Socket("127.0.0.1", worker.http().port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      // one request refused by the API, then one refused by Jetty itself (an empty path segment)
      for (String target : List.of("/api/totals?days=x&from=y", "/api/executions//report")) {
        out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes());
        out.flush();
        assertThat(readResponse(in))
            .startsWith("HTTP/1.1 400 ")
            .doesNotContainIgnoringCase("close");
      }
      // quiet for longer than the request deadline, shorter than the idle timeout: still open
      Thread.sleep(HttpApi.REQUEST_TIMEOUT.plusMillis(1_500).toMillis());
      for (int i = 0; i < 5; i++) {
        out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes());
        out.flush();
        assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ");
        Thread.sleep(HttpApi.REQUEST_TIMEOUT.toMillis() / 4);
      }
    }
  }

  /** Reads one response with a Content-Length body and returns its head. */
  private static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed after: " + head);
      }
      head.append((char) c);
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    assertThat(m.find()).as(head.toString()).isTrue();
    in.readNBytes(Integer.parseInt(m.group(1)));
    return head.toString();
  }

  /** Sends a request's headers a byte every 200 ms, forever, until the server hangs up. */
  private static Void sendHeadersSlowly(Socket s, AtomicBoolean stop) throws Exception {
    byte[] start = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes();
    try {
      OutputStream out = s.getOutputStream();
      out.write(start);
      out.flush();
      while (!stop.get()) {
        out.write('a');
        out.flush();
        Thread.sleep(200);
      }
    } catch (IOException e) {
      // the server closed the connection: what is expected
    }
    return null;
  }

  /** Whether the server closes {@code s} (end of stream or reset) within {@code millis}. */
  private static boolean closedByServer(Socket s, int millis) throws IOException {
    s.setSoTimeout(millis);
    InputStream in = s.getInputStream();
    byte[] buffer = new byte[1024];
    try {
      while (in.read(buffer) >= 0) {
        // a response to a slow request would be a bug, but the test only asks for the close
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true; // reset by the server
    }
  }

  @Test
  void csvCellsASpreadsheetWouldRunAsFormulasAreNeutralised() throws Exception {
    HttpResponse<String> r = get("/api/steps.csv");
    assertThat(r.statusCode()).isEqualTo(200);
    List<List<String>> rows = parseCsv(r.body());
    List<String> header = rows.get(0);
    List<String> row = rows.stream().filter(x -> x.contains("run-1")).findFirst().orElseThrow();
    assertThat(row.get(header.indexOf("model"))).isEqualTo("'" + FORMULA_MODEL);
    assertThat(row.get(header.indexOf("workflow_id"))).isEqualTo("'@wf-1");
    assertThat(row.get(header.indexOf("activity_type"))).isEqualTo("'-WriteScript");
    assertThat(row.get(header.indexOf("tags"))).startsWith("{");
    for (List<String> x : rows) {
      for (String cell : x) {
        assertThat(cell.isEmpty() || "=+-@\t\r".indexOf(cell.charAt(0)) < 0 || isNumber(cell))
            .as(cell)
            .isTrue();
      }
    }
  }

  private static boolean isNumber(String s) {
    try {
      new java.math.BigDecimal(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @Test
  void theBannerTellsTheBoundHostAndTheRealPort() throws Exception {
    int port = worker.http().port();
    assertThat(port).isPositive();
    assertThat(worker.http().listenAddress()).isEqualTo("127.0.0.1:" + port + " (loopback)");
    assertThat(LOG.list)
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .startsWith("HTTP listening on 127.0.0.1:" + port + " "));
    assertThat(get("/health").statusCode()).isEqualTo(200);
    // bound to every interface: says so, and names a URL that reaches it from this machine
    InetSocketAddress any = new InetSocketAddress("0.0.0.0", 8088);
    assertThat(HttpApi.listenAddress(any)).isEqualTo("0.0.0.0:8088 (every interface)");
    assertThat(HttpApi.baseUrl(any)).isEqualTo("http://127.0.0.1:8088");
    InetSocketAddress v6 = new InetSocketAddress("::1", 9000);
    assertThat(HttpApi.baseUrl(v6)).isEqualTo("http://[0:0:0:0:0:0:0:1]:9000");
  }

  @Test
  void aPortInUseIsAClearStartupError() {
    var config = TestWorkers.config(dataDir).httpPort(worker.http().port()).build();
    HttpStartException e =
        catchThrowableOfType(
            () -> HttpApi.start(new WorkerHttpBackend(config, worker)).close(),
            HttpStartException.class);
    assertThat(e.problem()).isEqualTo(HttpStartException.Problem.PORT_IN_USE);
    assertThat(e).hasMessageContaining("port is in use");
    // the worker names its own settings in the one line the command prints
    assertThat(WorkerHttpBackend.startupError(e))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining(
            "port is in use; choose another with --http-port / COSTWISE_HTTP_PORT");
  }

  @Test
  void healthIsDegradedWhileARejectedRecordIsUnresolved() throws Exception {
    JsonNode before = JSON.readTree(get("/health").body());
    assertThat(before.path("costs").path("status").asText()).isEqualTo("UP");

    Instant now = Instant.now();
    Usage usage = Usage.of("openai", "gpt-4o").inputTokens(1000).build();
    worker
        .recorder()
        .record(
            new AttemptCost(
                new AttemptContext(
                    "default", "wf-nul", "Publish", "run-nul", "1", "Write", 1, "q", now),
                Outcome.COMPLETED,
                List.of(new PricedUsage(usage, PRICER.priceLenient(usage))),
                Map.of("tenant", "acme\u0000"),
                now));

    HttpResponse<String> degraded = get("/health");
    assertThat(degraded.statusCode()).isEqualTo(200); // still serving: probes must not kill it
    JsonNode health = JSON.readTree(degraded.body());
    assertThat(health.path("status").asText()).isEqualTo("DEGRADED");
    assertThat(health.path("costs").path("rejectedUnresolved").asLong()).isEqualTo(1);
    assertThat(health.path("costs").path("hint").asText()).isEqualTo("costwise rejected list");
    assertThat(worker.store().execution("run-nul").orElseThrow().costUsd())
        .as("the rejected record's cost still counts")
        .isEqualByComparingTo("0.0025");

    worker.store().resolveRejected();
    assertThat(JSON.readTree(get("/health").body()).path("status").asText()).isEqualTo("UP");
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(worker.http().baseUrl() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  static HttpResponse<String> post(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(worker.http().baseUrl() + path))
            .POST(HttpRequest.BodyPublishers.ofString("x"))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** Sends {@code requestLine} as it is and returns the whole response. */
  static String raw(String requestLine) throws IOException {
    try (Socket s = new Socket("127.0.0.1", worker.http().port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write(
              (requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. */
  static List<List<String>> parseCsv(String text) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(field.toString());
        field.setLength(0);
      } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
        row.add(field.toString());
        field.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
        i++;
      } else {
        field.append(c);
      }
    }
    return rows;
  }
}
