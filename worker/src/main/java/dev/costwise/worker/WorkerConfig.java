package dev.costwise.worker;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything the worker needs to start, validated once. Built from defaults, then the environment,
 * then command-line flags (a flag beats a variable beats a default) by {@link Builder#build()}.
 *
 * <p>With no Temporal address the worker starts an in-process Temporal dev server on {@code
 * 127.0.0.1:temporalPort}; with no database URL it starts an embedded PostgreSQL whose data lives
 * in {@code dataDir/pgdata} and survives restarts.
 *
 * @param temporalAddress {@code host:port} of a Temporal frontend, or null for the embedded server
 * @param temporalNamespace namespace workflows run in
 * @param temporalPort port of the embedded Temporal server (ignored with an address)
 * @param taskQueue task queue this worker polls
 * @param databaseUrl JDBC URL of PostgreSQL, or null for the embedded database
 * @param databaseUser user for {@code databaseUrl} (may be null when the URL carries it)
 * @param databasePassword password for {@code databaseUrl} (may be null)
 * @param databasePort port of the embedded PostgreSQL (ignored with a URL)
 * @param dataDir folder for the embedded database and the cost spool file
 * @param httpHost interface the HTTP server binds to
 * @param httpPort port of the HTTP server; 0 picks a free one, -1 turns the server off
 * @param apiToken bearer token required by {@code /api/*}, or null for none
 * @param priceFile price override file, or null
 * @param strictPricing fail an activity attempt whose model has no price
 * @param alertWebhook URL that budget alerts are POSTed to as JSON, or null for none
 * @param stopGrace how long a stop waits for running activity attempts to finish before
 *     interrupting them
 * @param simulatedLatency how long each simulated model call of the demo pipeline takes
 * @param writeBehind with write-behind, how long writers wait to gather a batch (an attempt waits
 *     only for the local journal's fsync); null to write through (an attempt waits for PostgreSQL)
 */
public record WorkerConfig(
    String temporalAddress,
    String temporalNamespace,
    int temporalPort,
    String taskQueue,
    String databaseUrl,
    String databaseUser,
    String databasePassword,
    int databasePort,
    Path dataDir,
    String httpHost,
    int httpPort,
    String apiToken,
    Path priceFile,
    boolean strictPricing,
    URI alertWebhook,
    Duration stopGrace,
    Duration simulatedLatency,
    Duration writeBehind) {

  /** Default embedded Temporal port: the port the {@code temporal} CLI uses by default. */
  public static final int DEFAULT_TEMPORAL_PORT = 7233;

  /** Default embedded PostgreSQL port, chosen to stay clear of a PostgreSQL already on 5432. */
  public static final int DEFAULT_DATABASE_PORT = 54329;

  /** Default HTTP port of the metrics, API and dashboard server. */
  public static final int DEFAULT_HTTP_PORT = 8088;

  /** Default time a stop gives running activity attempts to finish. */
  public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(20);

  /** Longest stop grace accepted: a stop must stay well inside a platform's kill timeout. */
  public static final Duration MAX_STOP_GRACE = Duration.ofMinutes(10);

  /** Longest write-behind linger accepted. */
  public static final Duration MAX_WRITE_BEHIND = Duration.ofSeconds(1);

  /** Longest simulated model call accepted. */
  public static final Duration MAX_SIMULATED_LATENCY = Duration.ofMinutes(1);

  /** Default task queue of the worker and the demo. */
  public static final String DEFAULT_TASK_QUEUE = "costwise";

  /** Default data folder, relative to the working directory. */
  public static final Path DEFAULT_DATA_DIR = Path.of("costwise-data");

  /** Environment variables read, in one place so docs and tests agree. */
  public static final class Env {
    public static final String TEMPORAL_ADDRESS = "TEMPORAL_ADDRESS";
    public static final String TEMPORAL_NAMESPACE = "TEMPORAL_NAMESPACE";
    public static final String TEMPORAL_PORT = "COSTWISE_TEMPORAL_PORT";
    public static final String TASK_QUEUE = "COSTWISE_TASK_QUEUE";
    public static final String DATABASE_URL = "DATABASE_URL";
    public static final String DATABASE_USER = "DATABASE_USER";
    public static final String DATABASE_PASSWORD = "DATABASE_PASSWORD";
    public static final String DATABASE_PORT = "COSTWISE_DB_PORT";
    public static final String DATA_DIR = "COSTWISE_DATA_DIR";
    public static final String HTTP_HOST = "COSTWISE_HTTP_HOST";
    public static final String HTTP_PORT = "COSTWISE_HTTP_PORT";
    public static final String API_TOKEN = "COSTWISE_API_TOKEN";
    public static final String PRICE_FILE = "COSTWISE_PRICE_FILE";
    public static final String STRICT_PRICING = "COSTWISE_STRICT_PRICING";
    public static final String ALERT_WEBHOOK = "COSTWISE_ALERT_WEBHOOK";
    public static final String STOP_GRACE = "COSTWISE_STOP_GRACE";
    public static final String SIMULATED_LATENCY = "COSTWISE_SIMULATED_LATENCY";
    public static final String WRITE_BEHIND = "COSTWISE_WRITE_BEHIND";

    private Env() {}
  }

  /** Validates every field; see {@link ConfigException} for what is rejected. */
  public WorkerConfig {
    if (temporalAddress != null) {
      temporalAddress =
          hostPort(temporalAddress, "Temporal address", Env.TEMPORAL_ADDRESS, "--temporal-address");
    }
    requireText(temporalNamespace, "Temporal namespace", Env.TEMPORAL_NAMESPACE);
    requireText(taskQueue, "task queue", Env.TASK_QUEUE);
    port(temporalPort, "embedded Temporal port", Env.TEMPORAL_PORT, false);
    port(databasePort, "embedded PostgreSQL port", Env.DATABASE_PORT, false);
    if (httpPort != -1) {
      port(httpPort, "HTTP port", Env.HTTP_PORT, true);
    }
    if (databaseUrl != null) {
      databaseUrl = jdbcUrl(databaseUrl);
    } else if (databaseUser != null || databasePassword != null) {
      throw new ConfigException(
          "A database user or password is set but no database URL; set "
              + Env.DATABASE_URL
              + " (or --database-url), or unset "
              + Env.DATABASE_USER
              + "/"
              + Env.DATABASE_PASSWORD
              + " to use the embedded PostgreSQL");
    }
    if (dataDir == null) {
      throw new ConfigException("The data folder is required (" + Env.DATA_DIR + " or --data-dir)");
    }
    requireText(httpHost, "HTTP host", Env.HTTP_HOST);
    if (apiToken != null && apiToken.isBlank()) {
      apiToken = null;
    }
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether the worker starts its own Temporal dev server. */
  public boolean embeddedTemporal() {
    return temporalAddress == null;
  }

  /** Whether the worker starts its own PostgreSQL. */
  public boolean embeddedDatabase() {
    return databaseUrl == null;
  }

  /** The Temporal frontend the worker connects to: the given address or the embedded one. */
  public String effectiveTemporalAddress() {
    return embeddedTemporal() ? "127.0.0.1:" + temporalPort : temporalAddress;
  }

  /** Where the embedded PostgreSQL keeps its files. */
  public Path embeddedDatabaseDir() {
    return dataDir.resolve("pgdata");
  }

  /** Where cost rows wait when PostgreSQL cannot take them. */
  public Path spoolFile() {
    return dataDir.resolve("cost-spool.jsonl");
  }

  /** The same configuration with a different HTTP port; for tests and the demo. */
  public WorkerConfig withHttpPort(int port) {
    return new WorkerConfig(
        temporalAddress,
        temporalNamespace,
        temporalPort,
        taskQueue,
        databaseUrl,
        databaseUser,
        databasePassword,
        databasePort,
        dataDir,
        httpHost,
        port,
        apiToken,
        priceFile,
        strictPricing,
        alertWebhook,
        stopGrace,
        simulatedLatency,
        writeBehind);
  }

  /** The JDBC URL with any password replaced, for logs and error messages. */
  public static String redact(String jdbcUrl) {
    return jdbcUrl == null ? null : jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  /**
   * Accepts {@code jdbc:postgresql://host:port/db} as is and converts the {@code
   * postgres://user:password@host:port/db} form most platforms hand out. The one parser of database
   * URLs: the worker and every command use it.
   *
   * @throws ConfigException naming the problem, with any password redacted
   */
  public static String jdbcUrl(String url) {
    String u = url.strip();
    if (u.startsWith("jdbc:postgresql:")) {
      return u;
    }
    String lower = u.toLowerCase(Locale.ROOT);
    if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
      try {
        URI uri = new URI(u);
        if (uri.getHost() == null) {
          throw new URISyntaxException(u, "no host");
        }
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
        if (uri.getPort() != -1) {
          jdbc.append(':').append(uri.getPort());
        }
        jdbc.append(
            uri.getRawPath() == null || uri.getRawPath().isEmpty()
                ? "/postgres"
                : uri.getRawPath());
        StringBuilder query = new StringBuilder(uri.getRawQuery() == null ? "" : uri.getRawQuery());
        if (uri.getRawUserInfo() != null) {
          String[] parts = uri.getRawUserInfo().split(":", 2);
          append(query, "user", decode(parts[0]));
          if (parts.length == 2) {
            append(query, "password", decode(parts[1]));
          }
        }
        return query.length() == 0 ? jdbc.toString() : jdbc.append('?').append(query).toString();
      } catch (URISyntaxException e) {
        throw new ConfigException(
            "Database URL '" + redact(u) + "' is not a valid URL: " + e.getReason());
      }
    }
    throw new ConfigException(
        "Database URL '"
            + redact(u)
            + "' is not a PostgreSQL URL; use jdbc:postgresql://HOST:PORT/DB or"
            + " postgres://USER:PASSWORD@HOST:PORT/DB ("
            + Env.DATABASE_URL
            + " or --database-url)");
  }

  private static void append(StringBuilder query, String key, String value) {
    if (query.length() > 0) {
      query.append('&');
    }
    query.append(key).append('=').append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8));
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String hostPort(String value, String what, String env, String flag) {
    String v = value.strip();
    int colon = v.lastIndexOf(':');
    if (v.contains("://") || colon <= 0 || colon == v.length() - 1) {
      throw new ConfigException(
          what
              + " '"
              + v
              + "' must be HOST:PORT, for example 127.0.0.1:7233 ("
              + env
              + " or "
              + flag
              + ")");
    }
    try {
      int p = Integer.parseInt(v.substring(colon + 1));
      if (p < 1 || p > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new ConfigException(
          what + " '" + v + "' has a bad port; it must be 1-65535 (" + env + " or " + flag + ")");
    }
    return v;
  }

  private static void port(int p, String what, String env, boolean zeroAllowed) {
    if (p < (zeroAllowed ? 0 : 1) || p > 65535) {
      throw new ConfigException(
          "The "
              + what
              + " "
              + p
              + " is out of range; use 1-65535"
              + (zeroAllowed ? " (0 picks a free port)" : "")
              + " ("
              + env
              + ")");
    }
  }

  private static void requireText(String value, String what, String env) {
    if (value == null || value.isBlank()) {
      throw new ConfigException("The " + what + " must not be empty (" + env + ")");
    }
  }

  /**
   * Collects values from defaults, the environment and flags. Each setter takes the raw value (a
   * null flag means "not given"), so the precedence lives here and nowhere else.
   */
  public static final class Builder {
    private String temporalAddress;
    private String temporalNamespace = "default";
    private int temporalPort = DEFAULT_TEMPORAL_PORT;
    private String taskQueue = DEFAULT_TASK_QUEUE;
    private String databaseUrl;
    private String databaseUser;
    private String databasePassword;
    private int databasePort = DEFAULT_DATABASE_PORT;
    private Path dataDir = DEFAULT_DATA_DIR;
    private String httpHost = "127.0.0.1";
    private int httpPort = DEFAULT_HTTP_PORT;
    private String apiToken;
    private Path priceFile;
    private boolean strictPricing;
    private URI alertWebhook;
    private Duration stopGrace = DEFAULT_STOP_GRACE;
    private Duration simulatedLatency = Duration.ZERO;
    private Duration writeBehind;

    private Builder() {}

    /** Lays the variables found in {@code env} over the defaults. */
    public Builder environment(Map<String, String> env) {
      Function<String, String> get =
          k -> {
            String v = env.get(k);
            return v == null || v.isBlank() ? null : v.strip();
          };
      temporalAddress = or(get.apply(Env.TEMPORAL_ADDRESS), temporalAddress);
      temporalNamespace = or(get.apply(Env.TEMPORAL_NAMESPACE), temporalNamespace);
      temporalPort = intOr(get.apply(Env.TEMPORAL_PORT), temporalPort, Env.TEMPORAL_PORT);
      taskQueue = or(get.apply(Env.TASK_QUEUE), taskQueue);
      databaseUrl = or(get.apply(Env.DATABASE_URL), databaseUrl);
      databaseUser = or(get.apply(Env.DATABASE_USER), databaseUser);
      databasePassword = or(env.get(Env.DATABASE_PASSWORD), databasePassword);
      databasePort = intOr(get.apply(Env.DATABASE_PORT), databasePort, Env.DATABASE_PORT);
      dataDir = get.apply(Env.DATA_DIR) == null ? dataDir : Path.of(get.apply(Env.DATA_DIR));
      httpHost = or(get.apply(Env.HTTP_HOST), httpHost);
      httpPort = intOr(get.apply(Env.HTTP_PORT), httpPort, Env.HTTP_PORT);
      apiToken = or(get.apply(Env.API_TOKEN), apiToken);
      priceFile =
          get.apply(Env.PRICE_FILE) == null ? priceFile : Path.of(get.apply(Env.PRICE_FILE));
      alertWebhook =
          get.apply(Env.ALERT_WEBHOOK) == null
              ? alertWebhook
              : webhook(get.apply(Env.ALERT_WEBHOOK), Env.ALERT_WEBHOOK);
      stopGrace =
          get.apply(Env.STOP_GRACE) == null
              ? stopGrace
              : seconds(get.apply(Env.STOP_GRACE), Env.STOP_GRACE, MAX_STOP_GRACE);
      simulatedLatency =
          get.apply(Env.SIMULATED_LATENCY) == null
              ? simulatedLatency
              : seconds(
                  get.apply(Env.SIMULATED_LATENCY), Env.SIMULATED_LATENCY, MAX_SIMULATED_LATENCY);
      writeBehind =
          get.apply(Env.WRITE_BEHIND) == null
              ? writeBehind
              : writeBehind(get.apply(Env.WRITE_BEHIND), Env.WRITE_BEHIND);
      String strict = get.apply(Env.STRICT_PRICING);
      if (strict != null) {
        strictPricing =
            switch (strict.toLowerCase(Locale.ROOT)) {
              case "true", "1", "yes" -> true;
              case "false", "0", "no" -> false;
              default ->
                  throw new ConfigException(
                      Env.STRICT_PRICING + " is '" + strict + "'; use true or false");
            };
      }
      return this;
    }

    public Builder temporalAddress(String v) {
      temporalAddress = or(v, temporalAddress);
      return this;
    }

    public Builder temporalNamespace(String v) {
      temporalNamespace = or(v, temporalNamespace);
      return this;
    }

    public Builder temporalPort(Integer v) {
      temporalPort = v == null ? temporalPort : v;
      return this;
    }

    public Builder taskQueue(String v) {
      taskQueue = or(v, taskQueue);
      return this;
    }

    public Builder databaseUrl(String v) {
      databaseUrl = or(v, databaseUrl);
      return this;
    }

    public Builder databaseUser(String v) {
      databaseUser = or(v, databaseUser);
      return this;
    }

    public Builder databasePassword(String v) {
      databasePassword = or(v, databasePassword);
      return this;
    }

    public Builder databasePort(Integer v) {
      databasePort = v == null ? databasePort : v;
      return this;
    }

    public Builder dataDir(Path v) {
      dataDir = v == null ? dataDir : v;
      return this;
    }

    public Builder httpHost(String v) {
      httpHost = or(v, httpHost);
      return this;
    }

    public Builder httpPort(Integer v) {
      httpPort = v == null ? httpPort : v;
      return this;
    }

    public Builder apiToken(String v) {
      apiToken = or(v, apiToken);
      return this;
    }

    public Builder priceFile(Path v) {
      priceFile = v == null ? priceFile : v;
      return this;
    }

    public Builder strictPricing(Boolean v) {
      strictPricing = v == null ? strictPricing : v;
      return this;
    }

    public Builder alertWebhook(String v) {
      alertWebhook =
          v == null || v.isBlank() ? alertWebhook : webhook(v.strip(), "--alert-webhook");
      return this;
    }

    /** Seconds to wait for running activity attempts when stopping (0 interrupts them at once). */
    public Builder stopGrace(String v) {
      stopGrace = v == null || v.isBlank() ? stopGrace : seconds(v, "--stop-grace", MAX_STOP_GRACE);
      return this;
    }

    /** Seconds each simulated model call of the demo pipeline takes. */
    public Builder simulatedLatency(String v) {
      simulatedLatency =
          v == null || v.isBlank()
              ? simulatedLatency
              : seconds(v, "--simulated-latency", MAX_SIMULATED_LATENCY);
      return this;
    }

    /**
     * Write-behind with writers gathering for {@code v} seconds (0 to 1; {@code 0} writes behind
     * without gathering), or {@code off} to write through.
     */
    public Builder writeBehind(String v) {
      writeBehind = v == null || v.isBlank() ? writeBehind : writeBehind(v, "--write-behind");
      return this;
    }

    private static Duration writeBehind(String value, String setting) {
      String v = value.strip();
      if (v.equalsIgnoreCase("off")) {
        return null;
      }
      try {
        return seconds(v, setting, MAX_WRITE_BEHIND);
      } catch (ConfigException e) {
        String shown = v.length() > 40 ? v.substring(0, 40) + "..." : v;
        throw new ConfigException(
            setting
                + " is '"
                + shown
                + "'; give off, or the seconds writers gather a batch for, from 0 to 1 (e.g."
                + " 0.01)");
      }
    }

    /** Parses a number of seconds such as {@code 20} or {@code 0.5}, from 0 to {@code max}. */
    private static Duration seconds(String value, String setting, Duration max) {
      String v = value.strip();
      try {
        java.math.BigDecimal s = new java.math.BigDecimal(v);
        if (s.signum() >= 0 && s.compareTo(java.math.BigDecimal.valueOf(max.toSeconds())) <= 0) {
          return Duration.ofMillis(
              s.movePointRight(3).setScale(0, java.math.RoundingMode.UP).longValueExact());
        }
      } catch (NumberFormatException | ArithmeticException e) {
        // reported below
      }
      String shown = v.length() > 40 ? v.substring(0, 40) + "..." : v;
      throw new ConfigException(
          setting + " is '" + shown + "'; give a number of seconds from 0 to " + max.toSeconds());
    }

    private static URI webhook(String value, String setting) {
      try {
        URI uri = new URI(value);
        if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
            && uri.getHost() != null) {
          return uri;
        }
      } catch (java.net.URISyntaxException e) {
        // reported below
      }
      throw new ConfigException(setting + " is '" + value + "'; give an http:// or https:// URL");
    }

    /**
     * Validates and builds.
     *
     * @throws ConfigException naming the setting that is wrong and how to fix it
     */
    public WorkerConfig build() {
      return new WorkerConfig(
          temporalAddress,
          temporalNamespace,
          temporalPort,
          taskQueue,
          databaseUrl,
          databaseUser,
          databasePassword,
          databasePort,
          dataDir,
          httpHost,
          httpPort,
          apiToken,
          priceFile,
          strictPricing,
          alertWebhook,
          stopGrace,
          simulatedLatency,
          writeBehind);
    }

    private static String or(String value, String fallback) {
      return value == null || value.isBlank() ? fallback : value.strip();
    }

    private static int intOr(String value, int fallback, String name) {
      if (value == null) {
        return fallback;
      }
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new ConfigException(name + " is '" + value + "'; it must be a number");
      }
    }
  }
}
