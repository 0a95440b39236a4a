package dev.costwise.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.costwise.pricing.Money;
import dev.costwise.report.ExecutionReport;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.StepRow;
import dev.costwise.worker.CostwiseWorker;
import dev.costwise.worker.Database;
import dev.costwise.worker.StartupException;
import dev.costwise.worker.WorkerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's HTTP server (the JDK's own): Prometheus scrape, health, the cost JSON API, CSV
 * export and the dashboard page. {@code /api/*} requires {@code Authorization: Bearer TOKEN} when
 * an API token is configured; {@code /metrics} and {@code /health} stay open for scrapers and
 * probes.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Renders report records: ISO times, exact decimals as written. */
  private static final ObjectMapper REPORT_JSON =
      new ObjectMapper()
          .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
          .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

  private final HttpServer server;
  private final ExecutorService executor;
  private final CostwiseWorker worker;
  private final CostReports reports;
  private final byte[] token;
  private final String baseUrl;

  private HttpApi(
      HttpServer server, ExecutorService executor, CostwiseWorker worker, String token) {
    this.server = server;
    this.executor = executor;
    this.worker = worker;
    this.reports = new CostReports(worker.store().jdbi());
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    String host =
        server.getAddress().getAddress().isAnyLocalAddress()
            ? "127.0.0.1"
            : server.getAddress().getHostString();
    this.baseUrl = "http://" + host + ":" + server.getAddress().getPort();
  }

  /**
   * Binds {@code config.httpHost():config.httpPort()} and starts serving {@code worker}'s data.
   *
   * @throws StartupException when the address cannot be bound
   */
  public static HttpApi start(WorkerConfig config, CostwiseWorker worker) {
    HttpServer server;
    try {
      server =
          HttpServer.create(
              new InetSocketAddress(InetAddress.getByName(config.httpHost()), config.httpPort()),
              50);
    } catch (BindException e) {
      throw new StartupException(
          "Cannot serve HTTP on "
              + config.httpHost()
              + ":"
              + config.httpPort()
              + ": the port is in use; choose another"
              + " with --http-port / "
              + WorkerConfig.Env.HTTP_PORT
              + " (0 picks a free one, -1 turns HTTP off)",
          e);
    } catch (IOException e) {
      throw new StartupException(
          "Cannot serve HTTP on "
              + config.httpHost()
              + ":"
              + config.httpPort()
              + ": "
              + e.getMessage(),
          e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "costwise-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    HttpApi api = new HttpApi(server, executor, worker, config.apiToken());
    server.createContext("/", api::handle);
    server.start();
    return api;
  }

  /** Whether {@code host} names only this machine. */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** {@code http://host:port}, without a trailing slash. */
  public String baseUrl() {
    return baseUrl;
  }

  /** The port bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        send(ex, 405, "text/plain", "only GET\n");
        return;
      }
      try {
        route(ex, path);
      } catch (IllegalArgumentException e) {
        sendJson(ex, 400, error(e.getMessage()));
      } catch (RuntimeException e) {
        log.warn("HTTP {} failed: {}", path, e.toString());
        sendJson(ex, 500, error("internal error: " + e.getMessage()));
      }
    }
  }

  private void route(HttpExchange ex, String path) throws IOException {
    if (path.equals("/") || path.equals("/dashboard")) {
      resource(ex, "/costwise/dashboard.html", "text/html; charset=utf-8");
    } else if (path.equals("/metrics")) {
      send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", worker.registry().scrape());
    } else if (path.equals("/health")) {
      health(ex);
    } else if (path.startsWith("/api/")) {
      if (!authorized(ex)) {
        ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"costwise\"");
        sendJson(
            ex,
            401,
            error("missing or wrong bearer token (Authorization: Bearer $COSTWISE_API_TOKEN)"));
        return;
      }
      api(ex, path.substring("/api".length()), query(ex));
    } else {
      sendJson(
          ex, 404, error("no such page: " + path + " (try /, /metrics, /health, /api/totals)"));
    }
  }

  private void api(HttpExchange ex, String path, Map<String, String> q) throws IOException {
    if (path.startsWith("/executions/") && path.endsWith("/report")) {
      String runId = path.substring("/executions/".length(), path.length() - "/report".length());
      Optional<ExecutionReport> report = reports.executionReport(runId);
      if (report.isEmpty()) {
        sendJson(ex, 404, error("no cost recorded for run " + runId));
      } else {
        sendJson(ex, 200, REPORT_JSON.valueToTree(report.get()));
      }
    } else if (path.startsWith("/executions/")) {
      String runId = path.substring("/executions/".length());
      Optional<ExecutionTotals> totals = worker.store().execution(runId);
      if (totals.isEmpty()) {
        sendJson(ex, 404, error("no cost recorded for run " + runId));
      } else {
        sendJson(ex, 200, execution(totals.get(), worker.store().steps(runId)));
      }
    } else if (path.startsWith("/workflows/")) {
      String workflowId = path.substring("/workflows/".length());
      Optional<ReportDao.RunCost> run = reports.latestRun(workflowId);
      if (run.isEmpty()) {
        sendJson(ex, 404, error("no cost recorded for workflow " + workflowId));
      } else {
        String runId = run.get().runId();
        sendJson(
            ex,
            200,
            execution(worker.store().execution(runId).orElseThrow(), worker.store().steps(runId)));
      }
    } else if (path.equals("/totals")) {
      String period = q.getOrDefault("period", "day");
      Range range = range(q, period.equals("month") ? 365 : 30);
      GroupBy groupBy = GroupBy.parse(q.get("groupBy"));
      ObjectNode root = JSON.createObjectNode();
      root.put("period", period);
      root.put("groupBy", groupBy.name());
      root.put("from", range.from().toString());
      root.put("to", range.to().toString());
      ArrayNode rows = root.putArray("totals");
      for (ReportDao.Bucket b : reports.totals(period, groupBy, range.from(), range.to())) {
        ObjectNode r = rows.addObject();
        r.put("period", b.period().toString().substring(0, period.equals("month") ? 7 : 10));
        r.put("group", b.grp());
        r.put("costUsd", Money.plain(b.costUsd()));
        r.put("usageCount", b.usageCount());
        r.put("unpricedCount", b.unpricedCount());
        r.put("inputTokens", b.inputTokens());
        r.put("outputTokens", b.outputTokens());
        r.put("images", b.images());
        r.put("videoSeconds", Money.plain(b.videoSeconds()));
        r.put("characters", b.characters());
        r.put("audioSeconds", Money.plain(b.audioSeconds()));
      }
      sendJson(ex, 200, root);
    } else if (path.equals("/steps.csv")) {
      Range range = range(q, 30);
      ex.getResponseHeaders().add("Content-Type", "text/csv; charset=utf-8");
      ex.getResponseHeaders()
          .add(
              "Content-Disposition",
              "attachment; filename=\"costwise-steps-"
                  + range.from().toString().substring(0, 10)
                  + ".csv\"");
      ex.sendResponseHeaders(200, 0);
      try (Writer w = new OutputStreamWriter(ex.getResponseBody(), StandardCharsets.UTF_8);
          Stream<StepRow> rows = reports.steps(range.from(), range.to())) {
        StepsCsv.write(rows, w);
      }
    } else if (path.equals("/dashboard")) {
      sendJson(ex, 200, reports.dashboard(Integer.parseInt(q.getOrDefault("days", "30"))));
    } else if (path.equals("/budgets")) {
      sendJson(ex, 200, reports.budgets());
    } else {
      sendJson(
          ex,
          404,
          error(
              "no such API: /api"
                  + path
                  + " (executions/RUN_ID, executions/RUN_ID/report, workflows/WORKFLOW_ID, totals, steps.csv, budgets,"
                  + " dashboard)"));
    }
  }

  private void health(HttpExchange ex) throws IOException {
    boolean temporal = worker.temporal().healthy();
    boolean database = Database.healthy(worker.dataSource());
    ObjectNode root = JSON.createObjectNode();
    root.put("status", temporal && database ? "UP" : "DOWN");
    ObjectNode t = root.putObject("temporal");
    t.put("status", temporal ? "UP" : "DOWN");
    t.put("address", worker.temporal().address());
    t.put("namespace", worker.temporal().namespace());
    ObjectNode d = root.putObject("database");
    d.put("status", database ? "UP" : "DOWN");
    d.put("description", worker.databaseDescription());
    ObjectNode c = root.putObject("costs");
    int spooled = worker.recorder().spooledCount();
    long rejected = -1;
    if (database) {
      try {
        rejected = worker.store().unresolvedRejected();
      } catch (RuntimeException e) {
        rejected = -1;
      }
    }
    c.put("spooled", spooled);
    if (rejected >= 0) {
      c.put("rejectedUnresolved", rejected);
    }
    boolean degraded = spooled > 0 || rejected > 0 || worker.recorder().databaseDown();
    c.put("status", degraded ? "DEGRADED" : "UP");
    if (rejected > 0) {
      c.put("hint", "costwise rejected list");
    }
    boolean up = temporal && database;
    root.put("status", !up ? "DOWN" : degraded ? "DEGRADED" : "UP");
    sendJson(ex, up ? 200 : 503, root);
  }

  static ObjectNode execution(ExecutionTotals t, List<StepRow> steps) {
    ObjectNode root = JSON.createObjectNode();
    root.put("runId", t.runId());
    root.put("workflowId", t.workflowId());
    root.put("workflowType", t.workflowType());
    root.put("namespace", t.namespace());
    root.put("taskQueue", t.taskQueue());
    root.put("totalUsd", Money.plain(t.costUsd()));
    root.put("usageCount", t.usageCount());
    root.put("unpricedUsageCount", t.unpricedUsageCount());
    root.put("firstRecordedAt", t.firstRecordedAt().toString());
    root.put("lastRecordedAt", t.lastRecordedAt().toString());
    ArrayNode arr = root.putArray("steps");
    for (StepRow s : steps) {
      ObjectNode n = arr.addObject();
      n.put("activityId", s.activityId());
      n.put("activityType", s.activityType());
      n.put("attempt", s.attempt());
      n.put("line", s.lineNo());
      n.put("outcome", s.outcome());
      n.put("provider", s.provider());
      n.put("model", s.model());
      n.put("pricedModel", s.pricedModel());
      n.put("priced", s.priced());
      if (s.priced()) {
        n.put("costUsd", Money.plain(s.costUsd()));
      } else {
        n.put("unpricedReason", s.unpricedReason());
      }
      n.put("inputTokens", s.inputTokens());
      n.put("outputTokens", s.outputTokens());
      n.put("cacheReadTokens", s.cacheReadTokens());
      n.put("cacheWriteTokens", s.cacheWriteTokens());
      n.put("reasoningTokens", s.reasoningTokens());
      n.put("images", s.images());
      n.put("videoSeconds", Money.plain(s.videoSeconds()));
      n.put("characters", s.characters());
      n.put("audioSeconds", Money.plain(s.audioSeconds()));
      n.put("startedAt", s.startedAt().toString());
    }
    return root;
  }

  /**
   * A period from {@code from} and {@code to} (dates, inclusive, or instants), defaulting to the
   * last {@code days}.
   */
  record Range(Instant from, Instant to) {}

  static Range range(Map<String, String> q, int defaultDays) {
    Instant to =
        q.containsKey("to")
            ? bound(q.get("to"), true)
            : LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant from =
        q.containsKey("from")
            ? bound(q.get("from"), false)
            : to.minus(defaultDays, ChronoUnit.DAYS);
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from (" + from + ") must be before to (" + to + ")");
    }
    return new Range(from, to);
  }

  private static Instant bound(String v, boolean end) {
    try {
      if (v.length() == 10) {
        LocalDate d = LocalDate.parse(v);
        return (end ? d.plusDays(1) : d).atStartOfDay().toInstant(ZoneOffset.UTC);
      }
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "'" + v + "' is not a date (2026-11-23) or an instant (2026-11-23T10:00:00Z)");
    }
  }

  private boolean authorized(HttpExchange ex) {
    if (token == null) {
      return true;
    }
    String header = ex.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.startsWith("Bearer ")) {
      return false;
    }
    return MessageDigest.isEqual(
        token, header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new HashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          q.put(
              URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return q;
  }

  private static ObjectNode error(String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("error", message);
    return n;
  }

  private static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    send(
        ex,
        status,
        "application/json",
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.getResponseHeaders().add("Cache-Control", "no-store");
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static void resource(HttpExchange ex, String name, String type) throws IOException {
    try (InputStream in = HttpApi.class.getResourceAsStream(name)) {
      if (in == null) {
        send(ex, 500, "text/plain", "missing resource " + name + "\n");
        return;
      }
      send(ex, 200, type, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
