package dev.costwise.worker.cli;

import dev.costwise.worker.WorkerConfig;
import dev.costwise.worker.WorkerConfig.Env;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags of every command that starts a worker. Each is optional: an absent flag leaves the
 * environment variable or the default in force (see {@link WorkerConfig.Builder}).
 */
public final class WorkerOptions {
  @Option(
      names = "--temporal-address",
      paramLabel = "HOST:PORT",
      description =
          "Temporal frontend to connect to; when absent an embedded dev server is started (env "
              + Env.TEMPORAL_ADDRESS
              + ").")
  String temporalAddress;

  @Option(
      names = "--temporal-namespace",
      paramLabel = "NAME",
      description = "Namespace (env " + Env.TEMPORAL_NAMESPACE + "; default: default).")
  String temporalNamespace;

  @Option(
      names = "--temporal-port",
      paramLabel = "PORT",
      description =
          "Port of the embedded Temporal server on 127.0.0.1 (env "
              + Env.TEMPORAL_PORT
              + "; default: 7233).")
  Integer temporalPort;

  @Option(
      names = "--task-queue",
      paramLabel = "NAME",
      description = "Task queue to poll (env " + Env.TASK_QUEUE + "; default: costwise).")
  String taskQueue;

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description =
          "PostgreSQL, jdbc:postgresql://HOST:PORT/DB or postgres://USER:PASS@HOST:PORT/DB; when absent an embedded"
              + " PostgreSQL is started (env "
              + Env.DATABASE_URL
              + ").")
  String databaseUrl;

  @Option(
      names = "--database-user",
      paramLabel = "USER",
      description = "Database user (env " + Env.DATABASE_USER + ").")
  String databaseUser;

  @Option(
      names = "--database-password",
      paramLabel = "PASSWORD",
      description =
          "Database password (env "
              + Env.DATABASE_PASSWORD
              + "; prefer the variable: flags show in process lists).")
  String databasePassword;

  @Option(
      names = "--db-port",
      paramLabel = "PORT",
      description =
          "Port of the embedded PostgreSQL on 127.0.0.1 (env "
              + Env.DATABASE_PORT
              + "; default: 54329).")
  Integer databasePort;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Folder for the embedded database and the cost spool (env "
              + Env.DATA_DIR
              + "; default: ./costwise-data).")
  Path dataDir;

  @Option(
      names = "--http-host",
      paramLabel = "HOST",
      description =
          "Interface the HTTP server binds to (env " + Env.HTTP_HOST + "; default: 127.0.0.1).")
  String httpHost;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description =
          "HTTP port for /metrics, /health, /api and the dashboard; 0 = any free port, -1 = off (env "
              + Env.HTTP_PORT
              + "; default: 8088).")
  Integer httpPort;

  @Option(
      names = "--api-token",
      paramLabel = "TOKEN",
      description =
          "Bearer token required by /api (env "
              + Env.API_TOKEN
              + "; recommended when --http-host is not loopback).")
  String apiToken;

  @Option(
      names = "--price-file",
      paramLabel = "FILE",
      description =
          "Price override file laid over the bundled catalog, re-read when it changes (env "
              + Env.PRICE_FILE
              + ").")
  Path priceFile;

  @Option(
      names = "--strict-pricing",
      arity = "0..1",
      paramLabel = "true|false",
      description =
          "Fail an activity attempt whose model has no price (env "
              + Env.STRICT_PRICING
              + "; default: false).")
  Boolean strictPricing;

  @Option(
      names = "--alert-webhook",
      paramLabel = "URL",
      description =
          "POST budget alerts as JSON to this URL, with retries (env " + Env.ALERT_WEBHOOK + ").")
  String alertWebhook;

  @Option(
      names = "--stop-grace",
      paramLabel = "SECONDS",
      description =
          "On Ctrl-C or SIGTERM, how long running activity attempts may take to finish before they are"
              + " interrupted; their costs are recorded before the database stops (env "
              + Env.STOP_GRACE
              + "; default: 20).")
  String stopGrace;

  @Option(
      names = "--simulated-latency",
      paramLabel = "SECONDS",
      description =
          "How long each simulated model call of the demo pipeline takes, to watch runs in flight (env "
              + Env.SIMULATED_LATENCY
              + "; default: 0).")
  String simulatedLatency;

  @Option(
      names = "--write-behind",
      paramLabel = "SECONDS|off",
      description =
          "Write-behind: an activity attempt waits only until its cost is forced to disk in the"
              + " worker's journal, and writers gather batches for PostgreSQL for up to this many"
              + " seconds (0 to 1, e.g. 0.01); off waits for PostgreSQL (env "
              + Env.WRITE_BEHIND
              + "; default: off).")
  String writeBehind;

  /** The configuration from defaults, {@code env} and these flags, validated. */
  public WorkerConfig config(Map<String, String> env) {
    return WorkerConfig.builder()
        .environment(env)
        .temporalAddress(temporalAddress)
        .temporalNamespace(temporalNamespace)
        .temporalPort(temporalPort)
        .taskQueue(taskQueue)
        .databaseUrl(databaseUrl)
        .databaseUser(databaseUser)
        .databasePassword(databasePassword)
        .databasePort(databasePort)
        .dataDir(dataDir)
        .httpHost(httpHost)
        .httpPort(httpPort)
        .apiToken(apiToken)
        .priceFile(priceFile)
        .strictPricing(strictPricing)
        .alertWebhook(alertWebhook)
        .writeBehind(writeBehind)
        .stopGrace(stopGrace)
        .simulatedLatency(simulatedLatency)
        .build();
  }
}
