package dev.costwise.worker;

import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.budget.Budgets;
import dev.costwise.budget.WebhookAlertSink;
import dev.costwise.demo.ContentActivitiesImpl;
import dev.costwise.demo.ContentPipelineWorkflowImpl;
import dev.costwise.demo.SimulatedProviders;
import dev.costwise.estimate.CostEstimates;
import dev.costwise.estimate.CostEstimator;
import dev.costwise.estimate.EstimateStore;
import dev.costwise.estimate.PeriodBudgetFit;
import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import dev.costwise.store.ResilientRecorder;
import dev.costwise.temporal.CostwisePlugin;
import dev.costwise.worker.http.HttpApi;
import dev.costwise.worker.http.HttpStartException;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.common.converter.DataConverterException;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import io.temporal.worker.WorkflowImplementationOptions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running worker: Temporal (embedded or remote), PostgreSQL (embedded or remote) with the cost
 * schema, the cost-tracking interceptor on a worker polling the task queue, and the HTTP server.
 * Started by {@link #start}, stopped by {@link #close} in reverse order: the HTTP server, then
 * polling (running activity attempts get {@link WorkerConfig#stopGrace()} to finish), then the cost
 * recorder (every attempt's cost is written), then Temporal, then the database.
 */
public final class CostwiseWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CostwiseWorker.class);

  private final WorkerConfig config;
  private final Deque<Part> toClose = new ArrayDeque<>();
  private PrometheusMeterRegistry registry;
  private HikariDataSource dataSource;
  private CostStore store;
  private ResilientRecorder recorder;
  private CatalogSource catalog;
  private Budgets budgets;

  private CostwisePlugin plugin;
  private final boolean serveDemo;

  private TemporalConnection temporal;
  private WorkerFactory factory;
  private HttpApi http;
  private String databaseDescription;
  private boolean closed;

  /** Extra time interrupted activity attempts get to record their cost after the grace period. */
  private static final Duration AFTER_INTERRUPT = Duration.ofSeconds(5);

  /** Something started, and how to stop it. */
  private record Part(String name, AutoCloseable closer) {}

  private void onClose(String name, AutoCloseable closer) {
    toClose.push(new Part(name, closer));
  }

  private CostwiseWorker(WorkerConfig config, boolean serveDemo) {
    this.config = config;
    this.serveDemo = serveDemo;
  }

  /**
   * Starts everything {@code config} asks for and returns once the worker polls its task queue.
   *
   * @throws StartupException when a service cannot be reached or started (everything started so far
   *     is stopped again)
   */
  public static CostwiseWorker start(WorkerConfig config) {
    return start(config, false);
  }

  /**
   * As {@link #start(WorkerConfig)}; with {@code serveDemo} the worker also serves the demo
   * pipeline and its simulated providers (the {@code demo} command, or {@code run --serve-demo}).
   */
  public static CostwiseWorker start(WorkerConfig config, boolean serveDemo) {
    CostwiseWorker w = new CostwiseWorker(config, serveDemo);
    try {
      w.startAll();
      return w;
    } catch (RuntimeException e) {
      w.close();
      throw e;
    }
  }

  private void startAll() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);

    startDatabase();
    startTemporal();

    // The worker adopts Costwise the way users do: through the plugin.
    CostwisePlugin.Builder costwise =
        CostwisePlugin.newBuilder(dataSource)
            .setMigrate(false) // applied above, with a start-up error that names the database
            .setDataDirectory(config.dataDir())
            .setMeterRegistry(registry)
            .setPriceFile(config.priceFile())
            .setStrictPricing(config.strictPricing())
            .setStopGrace(config.stopGrace());
    if (serveDemo) {
      // the demo's drawings have a published price: capped runs reserve it before each one
      costwise.setExpectedCost("DrawScene", SimulatedProviders.DRAW_SCENE_EXPECTED_USD);
    }
    if (config.writeBehind() != null) {
      costwise.setWriteBehind(config.writeBehind());
    }
    if (config.alertWebhook() != null) {
      costwise.addAlertSink(
          new WebhookAlertSink(
              config.alertWebhook(), 5, Duration.ofSeconds(1), CostMetrics.boundTo(registry)));
    }
    plugin = costwise.build();
    onClose("cost spool", this::flushSpoolBeforeStop);
    onClose("Costwise plugin", plugin);
    factory =
        WorkerFactory.newInstance(
            temporal.client(), WorkerFactoryOptions.newBuilder().setPlugins(plugin).build());
    store = plugin.store();
    recorder = plugin.recorder();
    budgets = plugin.budgets();
    catalog = plugin.catalog();

    Worker worker = factory.newWorker(config.taskQueue(), workerOptions());
    // Arguments that cannot be read fail the run at once instead of failing its workflow task for
    // ever.
    WorkflowImplementationOptions implementation =
        WorkflowImplementationOptions.newBuilder()
            .setFailWorkflowExceptionTypes(DataConverterException.class)
            .build();
    if (serveDemo) {
      worker.registerWorkflowImplementationTypes(implementation, ContentPipelineWorkflowImpl.class);
      ContentActivitiesImpl demo = new ContentActivitiesImpl(config.simulatedLatency());
      onClose("demo providers", demo);
      worker.registerActivitiesImplementations(demo);
    }
    CostEstimates.register(
        worker,
        implementation,
        new CostEstimator(store.jdbi(), new Pricer(catalog, false)),
        new PeriodBudgetFit(budgets),
        new EstimateStore(store.jdbi()));
    factory.start();
    onClose("worker", this::stopPolling);
    log.info(
        "Worker polling task queue '{}' in namespace '{}'{}",
        config.taskQueue(),
        config.temporalNamespace(),
        serveDemo ? " (serving the demo pipeline)" : "");

    if (config.httpPort() >= 0) {
      try {
        http = HttpApi.start(new WorkerHttpBackend(config, this));
      } catch (HttpStartException e) {
        throw WorkerHttpBackend.startupError(e);
      }
      onClose("HTTP server", http);
      log.info(
          "HTTP listening on {}: dashboard {}/ , metrics {}/metrics , health {}/health",
          http.listenAddress(),
          http.baseUrl(),
          http.baseUrl(),
          http.baseUrl());
      if (!HttpApi.isLoopback(config.httpHost()) && config.apiToken() == null) {
        log.warn(
            "HTTP is bound to {} without an API token; set {} to require one for /api",
            config.httpHost(),
            WorkerConfig.Env.API_TOKEN);
      }
    }
  }

  private void startDatabase() {
    String url = config.databaseUrl();
    String user = config.databaseUser();
    if (config.embeddedDatabase()) {
      EmbeddedDatabase db =
          EmbeddedDatabase.start(config.embeddedDatabaseDir(), config.databasePort());
      onClose("embedded PostgreSQL", db);
      url = db.jdbcUrl();
      user = "postgres";
      databaseDescription =
          "embedded PostgreSQL on 127.0.0.1:" + db.port() + " (data in " + db.dataDir() + ")";
    } else {
      databaseDescription = "PostgreSQL at " + WorkerConfig.redact(url);
    }
    dataSource = Database.connect(url, user, config.databasePassword());
    onClose("database pool", dataSource);
    int applied;
    try {
      applied = CostSchema.migrate(dataSource);
    } catch (RuntimeException e) {
      throw new StartupException(
          "Cannot apply the cost schema to " + databaseDescription + ": " + Database.rootMessage(e),
          e);
    }
    store = new CostStore(CostStore.jdbi(dataSource));
    log.info("Database: {}; {} migration(s) applied", databaseDescription, applied);
  }

  private void startTemporal() {
    String address = config.effectiveTemporalAddress();
    if (config.embeddedTemporal()) {
      EmbeddedTemporal server =
          EmbeddedTemporal.start(config.temporalPort(), config.temporalNamespace());
      onClose("embedded Temporal server", server);
      address = server.address();
      log.info(
          "Temporal: embedded dev server on {} (namespace '{}', in memory: workflow history is lost on stop,"
              + " costs are not)",
          address,
          config.temporalNamespace());
    } else {
      log.info("Temporal: {} (namespace '{}')", address, config.temporalNamespace());
    }
    temporal =
        TemporalConnection.connect(
            address, config.temporalNamespace(), registry, Duration.ofSeconds(10));
    onClose("Temporal connection", temporal);
    // the plugin registers the cost search attributes when the worker factory starts
  }

  /**
   * Sticky execution off against the SDK's test server, which would leave runs waiting for ever on
   * the sticky queue of a worker that stopped (see {@link TemporalConnection#stickyExecutionSafe}).
   */
  private WorkerOptions workerOptions() {
    boolean sticky;
    try {
      sticky = temporal.stickyExecutionSafe();
    } catch (io.grpc.StatusRuntimeException e) {
      log.warn("Cannot ask Temporal for its version ({}); keeping sticky execution", e.getStatus());
      sticky = true;
    }
    if (sticky) {
      return WorkerOptions.getDefaultInstance();
    }
    log.info(
        "Temporal is the embedded dev server: sticky execution off, so runs continue on any worker"
            + " when this one stops");
    return WorkerOptions.newBuilder().setStickyQueueScheduleToStartTimeout(Duration.ZERO).build();
  }

  /**
   * Stops polling, lets running activity attempts finish within the grace period, then interrupts
   * those still running and gives them a few seconds to record their cost.
   */
  private void stopPolling() {
    Duration grace = config.stopGrace();
    long started = System.nanoTime();
    factory.shutdown();
    factory.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
    if (!factory.isTerminated()) {
      log.warn(
          "Activity attempts still running after the stop grace of {} s; interrupting them",
          grace.toMillis() / 1000.0);
      factory.shutdownNow();
      factory.awaitTermination(AFTER_INTERRUPT.toMillis(), TimeUnit.MILLISECONDS);
      if (!factory.isTerminated()) {
        log.warn(
            "Activity attempts still running {} s after being interrupted; stopping without them"
                + " (Temporal retries them after their timeout)",
            AFTER_INTERRUPT.toSeconds());
      }
    }
    log.info(
        "Polling stopped and running attempts finished in {} ms",
        (System.nanoTime() - started) / 1_000_000);
  }

  /** Writes anything left in the spool while the database is still up. */
  private void flushSpoolBeforeStop() {
    int left = recorder.spooledCount();
    if (left != 0) {
      recorder.flushSpool();
      left = recorder.spooledCount();
      if (left > 0) {
        log.warn(
            "{} cost record(s) stay in {}; they are written at the next start",
            left,
            config.spoolFile());
      }
    }
  }

  /** The configuration it runs with. */
  public WorkerConfig config() {
    return config;
  }

  /** The Prometheus registry every meter is in. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The pooled data source. */
  public HikariDataSource dataSource() {
    return dataSource;
  }

  /** The cost store. */
  public CostStore store() {
    return store;
  }

  /** The Costwise plugin the worker runs with. */
  public CostwisePlugin plugin() {
    return plugin;
  }

  /** The cost recorder (group commit, spool, journal). */
  public ResilientRecorder recorder() {
    return recorder;
  }

  /** Period budgets and the budget check. */
  public Budgets budgets() {
    return budgets;
  }

  /** The price catalog in force. */
  public CatalogSource catalog() {
    return catalog;
  }

  /** The Temporal connection. */
  public TemporalConnection temporal() {
    return temporal;
  }

  /** The HTTP server, or null when turned off. */
  public HttpApi http() {
    return http;
  }

  /** A one-line description of the database, for people. */
  public String databaseDescription() {
    return databaseDescription;
  }

  /**
   * Blocks until asked to stop (Ctrl-C or SIGTERM), then stops everything in order and returns, so
   * the command exits with its own status. Should the JVM stop another way (another signal, or one
   * it does not let this process handle), a shutdown hook stops everything as well as it can.
   */
  public void runUntilStopped() throws InterruptedException {
    CountDownLatch stopRequested = new CountDownLatch(1);
    StopSignals.onStop(stopRequested::countDown);
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "costwise-shutdown"));
    stopRequested.await();
    close();
  }

  /**
   * Stops everything that was started, newest first; never throws. Running activity attempts get
   * the stop grace to finish, and their costs are written before the database stops. A second call
   * returns at once.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long started = System.nanoTime();
    boolean any = !toClose.isEmpty();
    while (!toClose.isEmpty()) {
      Part part = toClose.pop();
      long t0 = System.nanoTime();
      try {
        part.closer().close();
      } catch (Exception e) {
        log.warn("Error while stopping the {}: {}", part.name(), e.toString());
      }
      log.debug("Stopped the {} in {} ms", part.name(), (System.nanoTime() - t0) / 1_000_000);
    }
    if (any) {
      log.info("Stopped in {} ms", (System.nanoTime() - started) / 1_000_000);
    }
  }
}
