package dev.costwise.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.budget.BudgetAlert;
import dev.costwise.report.CostReports;
import dev.costwise.report.Dashboard;
import dev.costwise.report.ExecutionLines;
import dev.costwise.report.ExecutionReport;
import dev.costwise.report.GroupBy;
import dev.costwise.report.Period;
import dev.costwise.report.PeriodTotal;
import dev.costwise.report.RunDetail;
import dev.costwise.report.RunFilter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's HTTP server (embedded Jetty): Prometheus scrape, health, the cost JSON API, CSV
 * export and the dashboard page. It reads everything through an {@link HttpBackend}; the reports
 * come from the library's {@link CostReports}, and this class only parses requests and renders.
 * {@code /api/*} requires {@code Authorization: Bearer TOKEN} when an API token is configured;
 * {@code /metrics} and {@code /health} stay open for scrapers and probes.
 *
 * <p>Slow or idle clients cannot starve the probes: headers are parsed without holding a worker
 * thread, a connection that sends nothing for {@link #IDLE_TIMEOUT} is closed, one that has not
 * delivered a whole request within {@link #REQUEST_TIMEOUT} of its first byte is closed, and
 * handlers run on at most {@link #MAX_THREADS} threads. Bad input gets a 4xx with a short message;
 * a server error gets a 500 with an error id, its details go to the log under that id.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long a connection may stay silent, between requests or within one. */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

  /** How long a client has from the first byte of a request to delivering all of its headers. */
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /** Threads serving requests (plus Jetty's acceptor and selector). */
  public static final int MAX_THREADS = 12;

  /** Connections open at once; beyond that the server stops accepting until some close. */
  public static final int MAX_CONNECTIONS = 256;

  /** The longest request line and headers accepted, in bytes. */
  static final int MAX_HEADER_BYTES = 8 * 1024;

  /** The longest id or query value accepted, in characters. */
  static final int MAX_VALUE_LENGTH = 255;

  /**
   * The earliest and latest instants a range may name (what PostgreSQL timestamps hold and more).
   */
  static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

  /** Where the pages load Chart.js from, and the WebJar resource served there. */
  static final String CHART_JS_PATH = "/assets/chart.umd.min.js";

  static final String CHART_JS_RESOURCE =
      "/META-INF/resources/webjars/chart.js/4.5.1/dist/chart.umd.min.js";

  /** Renders report records: ISO times, exact decimals as written. */
  private static final ObjectMapper REPORT_JSON =
      new ObjectMapper()
          .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
          .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

  private final Server server;
  private final RequestDeadline deadline;
  private final HttpBackend backend;
  private final CostReports reports;
  private final byte[] token;

  /** The address bound, known once the server has started. */
  private volatile InetSocketAddress bound;

  private HttpApi(Server server, RequestDeadline deadline, HttpBackend backend) {
    this.server = server;
    this.deadline = deadline;
    this.backend = backend;
    this.reports = backend.reports();
    String token = backend.apiToken();
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Binds {@code backend.httpHost():backend.httpPort()} and starts serving {@code backend}'s data.
   *
   * @throws HttpStartException when the address cannot be bound
   */
  public static HttpApi start(HttpBackend backend) {
    InetAddress host;
    try {
      host = InetAddress.getByName(backend.httpHost());
    } catch (UnknownHostException e) {
      throw new HttpStartException(
          HttpStartException.Problem.UNKNOWN_HOST,
          "Cannot serve HTTP on "
              + backend.httpHost()
              + ":"
              + backend.httpPort()
              + ": unknown host",
          e);
    }
    QueuedThreadPool threads =
        new QueuedThreadPool(MAX_THREADS + 2, 2, 60_000); // jobs are bounded by MAX_CONNECTIONS
    threads.setName("costwise-http");
    threads.setDaemon(true);
    Server server = new Server(threads);
    server.setStopTimeout(2_000);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setRequestHeaderSize(MAX_HEADER_BYTES);
    http.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(host.getHostAddress());
    connector.setPort(backend.httpPort());
    connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    connector.setAcceptQueueSize(50);
    RequestDeadline deadline = new RequestDeadline(REQUEST_TIMEOUT);
    connector.addBean(deadline);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
    server.setErrorHandler(new ShortErrors(deadline));
    HttpApi api = new HttpApi(server, deadline, backend);
    server.setHandler(
        new Handler.Abstract(org.eclipse.jetty.util.thread.Invocable.InvocationType.BLOCKING) {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            api.handle(request, response, callback);
            return true;
          }
        });
    try {
      server.start();
    } catch (Exception e) {
      deadline.close();
      try {
        server.stop();
      } catch (Exception ignored) {
        // the bind failure below is what matters
      }
      Throwable cause = e instanceof IOException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof BindException
          && cause.getMessage() != null
          && cause.getMessage().contains("in use")) {
        throw new HttpStartException(
            HttpStartException.Problem.PORT_IN_USE,
            "Cannot serve HTTP on "
                + backend.httpHost()
                + ":"
                + backend.httpPort()
                + ": the port is in use",
            e);
      }
      throw new HttpStartException(
          HttpStartException.Problem.OTHER,
          "Cannot serve HTTP on "
              + backend.httpHost()
              + ":"
              + backend.httpPort()
              + ": "
              + (cause.getMessage() == null
                  ? cause.getClass().getSimpleName()
                  : cause.getMessage()),
          e);
    }
    api.bound = boundAddress(connector);
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

  private static InetSocketAddress boundAddress(ServerConnector connector) {
    try {
      if (connector.getTransport() instanceof ServerSocketChannel channel
          && channel.getLocalAddress() instanceof InetSocketAddress address) {
        return address;
      }
    } catch (IOException e) {
      log.debug("Cannot read the bound HTTP address: {}", e.toString());
    }
    return new InetSocketAddress(connector.getHost(), connector.getLocalPort());
  }

  /**
   * A URL this machine reaches the server on, without a trailing slash: the bound address, or the
   * loopback address when bound to every interface.
   */
  public String baseUrl() {
    return baseUrl(bound);
  }

  /** The port bound (the real one when 0 was asked for). */
  public int port() {
    return bound.getPort();
  }

  /** Where the server listens, as people read it: {@code 0.0.0.0:8088 (every interface)}. */
  public String listenAddress() {
    return listenAddress(bound);
  }

  static String baseUrl(InetSocketAddress bound) {
    InetAddress a = bound.getAddress();
    String host = a == null || a.isAnyLocalAddress() ? "127.0.0.1" : literal(a);
    return "http://" + host + ":" + bound.getPort();
  }

  static String listenAddress(InetSocketAddress bound) {
    InetAddress a = bound.getAddress();
    if (a == null) {
      return bound.getHostString() + ":" + bound.getPort();
    }
    return literal(a)
        + ":"
        + bound.getPort()
        + (a.isAnyLocalAddress()
            ? " (every interface)"
            : a.isLoopbackAddress() ? " (loopback)" : "");
  }

  private static String literal(InetAddress a) {
    return a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
  }

  /** Connections open now. */
  int openConnections() {
    return deadline.openConnections();
  }

  /** One request and its response, served on a worker thread with blocking writes. */
  private static final class Exchange {
    final Request request;
    final Response response;
    final String method;
    final String path;

    Exchange(Request request, Response response) {
      this.request = request;
      this.response = response;
      this.method = request.getMethod();
      this.path = request.getHttpURI().getDecodedPath();
    }

    boolean head() {
      return "HEAD".equals(method);
    }

    String header(HttpHeader name) {
      return request.getHeaders().get(name);
    }

    void header(String name, String value) {
      response.getHeaders().put(name, value);
    }

    void send(int status, String type, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
      Content.Sink.write(response, true, head() ? ByteBuffer.allocate(0) : ByteBuffer.wrap(bytes));
    }

    OutputStream stream(int status, String type) {
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      return Content.Sink.asOutputStream(response);
    }
  }

  private void handle(Request request, Response response, Callback callback) {
    Connection connection = request.getConnectionMetaData().getConnection();
    deadline.handling(connection);
    Exchange ex = null;
    try {
      ex = new Exchange(request, response);
      serve(ex);
      callback.succeeded();
    } catch (Throwable e) {
      fail(ex, request, response, callback, e);
    } finally {
      deadline.handled(connection);
    }
  }

  private void serve(Exchange ex) throws IOException {
    try {
      if (!"GET".equals(ex.method) && !"HEAD".equals(ex.method)) {
        ex.header("Allow", "GET, HEAD");
        throw new HttpError(405, "only GET and HEAD");
      }
      route(ex);
    } catch (HttpError e) {
      sendJson(ex, e.status(), error(e.getMessage()));
    }
  }

  /** A failure no handler answered: 500 with an id, the details in the log under that id. */
  private static void fail(
      Exchange ex, Request request, Response response, Callback callback, Throwable e) {
    String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    String path = HttpError.echo(ex == null ? request.getHttpURI().getPath() : ex.path);
    log.error("HTTP {} {} failed (error id {})", request.getMethod(), path, id, e);
    if (ex == null || response.isCommitted()) {
      callback.failed(e);
      return;
    }
    try {
      ObjectNode body = error("internal error; the server log has the details under this id");
      body.put("errorId", id);
      sendJson(ex, 500, body);
      callback.succeeded();
    } catch (Throwable again) {
      callback.failed(again);
    }
  }

  private void route(Exchange ex) throws IOException {
    String path = ex.path;
    if (path.equals("/") || path.equals("/dashboard")) {
      resource(ex, "/costwise/dashboard.html", "text/html; charset=utf-8");
    } else if (path.equals("/run")) {
      resource(ex, "/costwise/run.html", "text/html; charset=utf-8");
    } else if (path.equals(CHART_JS_PATH)) {
      resource(ex, CHART_JS_RESOURCE, "text/javascript; charset=utf-8");
    } else if (path.equals("/metrics")) {
      ex.send(200, "text/plain; version=0.0.4; charset=utf-8", backend.scrapeMetrics());
    } else if (path.equals("/health")) {
      health(ex);
    } else if (path.startsWith("/api/")) {
      if (!authorized(ex)) {
        ex.header("WWW-Authenticate", "Bearer realm=\"costwise\"");
        sendJson(
            ex,
            401,
            error("missing or wrong bearer token (Authorization: Bearer $COSTWISE_API_TOKEN)"));
        return;
      }
      api(ex, path.substring("/api".length()), query(ex));
    } else {
      throw HttpError.notFound(
          "no such page: " + HttpError.echo(path) + " (try /, /metrics, /health, /api/totals)");
    }
  }

  private void api(Exchange ex, String path, Map<String, String> q) throws IOException {
    String[] parts = path.substring(1).split("/", -1);
    if (parts[0].equals("executions") && parts.length == 2) {
      String runId = id(parts[1], "run id");
      Optional<ExecutionLines> lines = reports.executionLines(runId);
      if (lines.isEmpty()) {
        throw HttpError.notFound("no cost recorded for run " + HttpError.echo(runId));
      }
      sendJson(ex, 200, ApiJson.execution(lines.get().totals(), lines.get().steps()));
    } else if (parts[0].equals("executions") && parts.length == 3 && parts[2].equals("report")) {
      String runId = id(parts[1], "run id");
      Optional<ExecutionReport> report = reports.execution(runId);
      if (report.isEmpty()) {
        throw HttpError.notFound("no cost recorded for run " + HttpError.echo(runId));
      }
      sendJson(ex, 200, REPORT_JSON.valueToTree(report.get()));
    } else if (parts[0].equals("executions") && parts.length == 3 && parts[2].equals("detail")) {
      String runId = id(parts[1], "run id");
      Optional<RunDetail> detail = reports.runDetail(runId);
      if (detail.isEmpty()) {
        throw HttpError.notFound("no cost recorded for run " + HttpError.echo(runId));
      }
      sendJson(ex, 200, RunJson.detail(detail.get()));
    } else if (parts[0].equals("executions") && parts.length == 3 && parts[2].equals("steps.csv")) {
      String runId = id(parts[1], "run id");
      if (reports.runTotals(List.of(runId), RunFilter.NONE).isEmpty()) {
        throw HttpError.notFound("no cost recorded for run " + HttpError.echo(runId));
      }
      ex.header("Content-Disposition", "attachment; filename=\"costwise-run-steps.csv\"");
      if (ex.head()) {
        ex.send(200, "text/csv; charset=utf-8", "");
        return;
      }
      try (Writer w =
          new OutputStreamWriter(
              ex.stream(200, "text/csv; charset=utf-8"), StandardCharsets.UTF_8)) {
        reports.runStepsCsv(runId, w);
      }
    } else if (path.equals("/find")) {
      String wanted = id(q.getOrDefault("id", ""), "id");
      Optional<String> runId =
          reports.runTotals(List.of(wanted), RunFilter.NONE).isEmpty()
              ? reports.latestRunId(wanted)
              : Optional.of(wanted);
      if (runId.isEmpty()) {
        throw HttpError.notFound(
            "no run or workflow with recorded cost has id " + HttpError.echo(wanted));
      }
      ObjectNode found = JSON.createObjectNode();
      found.put("runId", runId.get());
      sendJson(ex, 200, found);
    } else if (parts[0].equals("workflows") && parts.length == 2) {
      String workflowId = id(parts[1], "workflow id");
      Optional<ExecutionLines> lines = reports.latestExecutionLines(workflowId);
      if (lines.isEmpty()) {
        throw HttpError.notFound("no cost recorded for workflow " + HttpError.echo(workflowId));
      }
      sendJson(ex, 200, ApiJson.execution(lines.get().totals(), lines.get().steps()));
    } else if (path.equals("/totals")) {
      String period = q.getOrDefault("period", "day");
      if (!period.equals("day") && !period.equals("month")) {
        throw HttpError.badRequest("period '" + HttpError.echo(period) + "' must be day or month");
      }
      Range range = range(q, period.equals("month") ? 365 : 30);
      GroupBy groupBy = groupBy(q.get("groupBy"));
      List<PeriodTotal> totals =
          reports.totals(Period.parse(period), range.from(), range.to(), groupBy);
      sendJson(ex, 200, ApiJson.totals(period, groupBy, range.from(), range.to(), totals));
    } else if (path.equals("/steps.csv")) {
      Range range = range(q, 30);
      ex.header(
          "Content-Disposition",
          "attachment; filename=\"costwise-steps-"
              + range.from().toString().substring(0, 10)
              + ".csv\"");
      if (ex.head()) {
        ex.send(200, "text/csv; charset=utf-8", "");
        return;
      }
      try (Writer w =
          new OutputStreamWriter(
              ex.stream(200, "text/csv; charset=utf-8"), StandardCharsets.UTF_8)) {
        reports.stepsCsv(range.from(), range.to(), w);
      }
    } else if (path.equals("/dashboard")) {
      dashboard(ex, q);
    } else if (path.equals("/budgets")) {
      sendJson(ex, 200, ApiJson.budgets(backend.budgetUtilisation()));
    } else {
      throw HttpError.notFound(
          "no such API: /api"
              + HttpError.echo(path)
              + " (executions/RUN_ID, executions/RUN_ID/report, executions/RUN_ID/detail,"
              + " executions/RUN_ID/steps.csv, find?id=ID, workflows/WORKFLOW_ID, totals,"
              + " steps.csv, budgets, dashboard)");
    }
  }

  /**
   * The overview: the last {@code days} (30 by default) or the days {@code from} to {@code to}
   * (inclusive dates), narrowed by {@code workflowType}, {@code taskQueue} and {@code tenant}.
   */
  private void dashboard(Exchange ex, Map<String, String> q) throws IOException {
    LocalDate last = q.containsKey("to") ? date("to", q.get("to")) : LocalDate.now(ZoneOffset.UTC);
    LocalDate first =
        q.containsKey("from")
            ? date("from", q.get("from"))
            : last.minusDays(days(q.getOrDefault("days", "30")) - 1L);
    if (first.isAfter(last) || first.plusDays(365).isBefore(last)) {
      throw HttpError.badRequest(
          "from (" + first + ") must be on or before to (" + last + "), at most 366 days apart");
    }
    RunFilter filter;
    try {
      filter = new RunFilter(q.get("workflowType"), q.get("taskQueue"), q.get("tenant"));
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(e.getMessage());
    }
    Dashboard d = reports.dashboard(first, last, filter);
    List<BudgetAlert> alerts = backend.budgetAlerts();
    java.util.Set<String> overBudgetRuns = new java.util.LinkedHashSet<>();
    ApiJson.overBudgetAlerts(alerts, d.from(), d.to()).forEach(a -> overBudgetRuns.add(a.runId()));
    ObjectNode body =
        ApiJson.dashboard(
            d,
            backend.budgetUtilisation(),
            alerts,
            reports.runTotals(overBudgetRuns, filter),
            !filter.equals(RunFilter.NONE));
    body.set("unpriced", RunJson.unpriced(reports.unpricedModels(d.from(), d.to(), filter)));
    ObjectNode f = body.putObject("filter");
    f.put("from", first.toString());
    f.put("to", last.toString());
    f.put("workflowType", filter.workflowType());
    f.put("taskQueue", filter.taskQueue());
    f.put("tenant", filter.tenant());
    ObjectNode options = body.putObject("filterValues");
    reports
        .filterValues(first, last)
        .forEach(
            (dim, values) -> {
              var arr = options.putArray(camel(dim.key()));
              values.forEach(arr::add);
            });
    sendJson(ex, 200, body);
  }

  private static String camel(String key) {
    int i = key.indexOf('_');
    return i < 0
        ? key
        : key.substring(0, i) + Character.toUpperCase(key.charAt(i + 1)) + key.substring(i + 2);
  }

  private static LocalDate date(String name, String value) {
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw HttpError.badRequest(
          name + " '" + HttpError.echo(value) + "' is not a date such as 2026-11-23");
    }
  }

  /** A run or workflow id from the path: 1 to 255 characters, none of them control characters. */
  static String id(String value, String what) {
    if (value.isEmpty()) {
      throw HttpError.badRequest(what + " missing");
    }
    if (value.length() > MAX_VALUE_LENGTH) {
      throw HttpError.badRequest(
          what + " too long (" + value.length() + " characters, at most " + MAX_VALUE_LENGTH + ")");
    }
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw HttpError.badRequest(what + " contains a control character");
    }
    return value;
  }

  /** The grouping named by {@code value}, parsed by the vocabulary the CLI shares. */
  private static GroupBy groupBy(String value) {
    try {
      return GroupBy.parse(value);
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(e.getMessage());
    }
  }

  private static int days(String value) {
    int days;
    try {
      days = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("days '" + HttpError.echo(value) + "' is not a whole number");
    }
    if (days < 1 || days > 366) {
      throw HttpError.badRequest("days must be 1-366, was " + days);
    }
    return days;
  }

  private void health(Exchange ex) throws IOException {
    boolean temporal = backend.temporalHealthy();
    boolean database = backend.databaseHealthy();
    ObjectNode root = JSON.createObjectNode();
    root.put("status", temporal && database ? "UP" : "DOWN");
    ObjectNode t = root.putObject("temporal");
    t.put("status", temporal ? "UP" : "DOWN");
    t.put("address", backend.temporalAddress());
    t.put("namespace", backend.temporalNamespace());
    ObjectNode d = root.putObject("database");
    d.put("status", database ? "UP" : "DOWN");
    d.put("description", backend.databaseDescription());
    ObjectNode c = root.putObject("costs");
    int spooled = backend.spooledCount();
    long rejected = -1;
    if (database) {
      try {
        rejected = backend.unresolvedRejected();
      } catch (RuntimeException e) {
        rejected = -1;
      }
    }
    c.put("spooled", spooled);
    if (rejected >= 0) {
      c.put("rejectedUnresolved", rejected);
    }
    boolean degraded = spooled > 0 || rejected > 0 || backend.recorderDatabaseDown();
    c.put("status", degraded ? "DEGRADED" : "UP");
    if (rejected > 0) {
      c.put("hint", "costwise rejected list");
    }
    boolean up = temporal && database;
    root.put("status", !up ? "DOWN" : degraded ? "DEGRADED" : "UP");
    sendJson(ex, up ? 200 : 503, root);
  }

  /**
   * A period from {@code from} and {@code to} (dates, inclusive, or instants), defaulting to the
   * last {@code days}.
   */
  record Range(Instant from, Instant to) {}

  static Range range(Map<String, String> q, int defaultDays) {
    Instant to =
        q.containsKey("to")
            ? bound("to", q.get("to"), true)
            : LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant from =
        q.containsKey("from")
            ? bound("from", q.get("from"), false)
            : to.minus(defaultDays, ChronoUnit.DAYS);
    if (!from.isBefore(to)) {
      throw HttpError.badRequest("from (" + from + ") must be before to (" + to + ")");
    }
    return new Range(from, to);
  }

  private static Instant bound(String name, String v, boolean end) {
    Instant t;
    try {
      if (v.length() == 10) {
        LocalDate d = LocalDate.parse(v);
        t = (end ? d.plusDays(1) : d).atStartOfDay().toInstant(ZoneOffset.UTC);
      } else {
        t = Instant.parse(v);
      }
    } catch (DateTimeParseException | ArithmeticException e) {
      throw HttpError.badRequest(
          name
              + " '"
              + HttpError.echo(v)
              + "' is not a date (2026-11-23) or an instant (2026-11-23T10:00:00Z)");
    }
    if (t.isBefore(EARLIEST) || t.isAfter(LATEST.plusNanos(1000))) {
      throw HttpError.badRequest(name + " must be between years 0001 and 9999");
    }
    return t;
  }

  private boolean authorized(Exchange ex) {
    if (token == null) {
      return true;
    }
    String header = ex.header(HttpHeader.AUTHORIZATION);
    if (header == null || !header.startsWith("Bearer ")) {
      return false;
    }
    return MessageDigest.isEqual(
        token, header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> query(Exchange ex) {
    Map<String, String> q = new HashMap<>();
    String raw = ex.request.getHttpURI().getQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          String name;
          String value;
          try {
            name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
          } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("malformed %-escape in the query string");
          }
          if (value.length() > MAX_VALUE_LENGTH) {
            throw HttpError.badRequest(
                "query parameter '"
                    + HttpError.echo(name)
                    + "' too long ("
                    + value.length()
                    + " characters, at most "
                    + MAX_VALUE_LENGTH
                    + ")");
          }
          q.put(name, value);
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

  private static void sendJson(Exchange ex, int status, Object body) throws IOException {
    ex.send(
        status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
  }

  private static void resource(Exchange ex, String name, String type) throws IOException {
    try (InputStream in = HttpApi.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      ex.send(200, type, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /**
   * Answers what Jetty refuses before a handler runs (a malformed request line, headers too large,
   * an ambiguous path) with its status and a fixed reason, never the client's input.
   */
  private static final class ShortErrors extends Handler.Abstract {
    private final RequestDeadline deadline;

    ShortErrors(RequestDeadline deadline) {
      super(org.eclipse.jetty.util.thread.Invocable.InvocationType.NON_BLOCKING);
      this.deadline = deadline;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      // the request was read in time, only refused: the connection may serve the next one
      deadline.handled(request.getConnectionMetaData().getConnection());
      Object s = request.getAttribute(ErrorHandler.ERROR_STATUS);
      int status = s instanceof Integer i ? i : response.getStatus();
      if (status < 400) {
        status = 500;
      }
      String reason = org.eclipse.jetty.http.HttpStatus.getMessage(status);
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      if (request.getHeaders().get(HttpHeader.HOST) == null) {
        // Jetty could not parse the request (a bad request line has no headers; HTTP/1.1 needs a
        // Host) and closes the connection after this answer: say so, or a pooling client reuses
        // the dead connection and its next request fails
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
      }
      String body =
          error(reason == null ? "error" : reason.toLowerCase(java.util.Locale.ROOT)).toString();
      response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
      return true;
    }
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("Error while stopping the HTTP server: {}", e.toString());
    } finally {
      deadline.close();
    }
  }
}
