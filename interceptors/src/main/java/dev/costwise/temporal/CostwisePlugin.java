package dev.costwise.temporal;

import dev.costwise.budget.AlertSink;
import dev.costwise.budget.Budgets;
import dev.costwise.budget.ExecutionLimits;
import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import dev.costwise.store.ResilientRecorder;
import dev.costwise.usage.UsageExtractor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.SimplePlugin;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.common.interceptors.WorkflowClientInterceptor;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Costwise as a Temporal plugin: one line on the client or on the worker factory, and every worker
 * created from it prices, stores and limits the usage of every activity attempt.
 *
 * <pre>{@code
 * var costwise = CostwisePlugin.newBuilder(dataSource).build();
 * var client = WorkflowClient.newInstance(service,
 *     WorkflowClientOptions.newBuilder().setPlugins(costwise).build());
 * }</pre>
 *
 * <p>When the first worker factory is created it applies the cost schema, loads the bundled catalog
 * (and the price file, reloaded on change), starts the resilient recorder (its spool and journal in
 * {@code ./costwise-data} unless told otherwise, replayed at start and whenever PostgreSQL comes
 * back), binds the meters and turns budgets on. Each worker gets the cost interceptor and the
 * budget check activity; the cost search attributes are registered on the namespace when the server
 * allows it. Everything it started stops when the last factory shuts down (or on {@link #close});
 * what could not be written stays in the spool for the next start. On the client it checks a run's
 * Costwise memo before the run starts.
 */
public final class CostwisePlugin extends SimplePlugin implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CostwisePlugin.class);

  /** The plugin's name, as Temporal lists plugins. */
  public static final String NAME = "dev.costwise";

  private final Builder settings;
  private final WorkflowClientInterceptor clientInterceptor = new CostwiseClientInterceptor();
  private final Set<WorkerFactory> factories = new LinkedHashSet<>();
  private Running running;
  private volatile boolean searchAttributes;

  private CostwisePlugin(Builder settings) {
    super(NAME);
    this.settings = settings;
  }

  /** A builder over {@code dataSource} (a pool: the recorder keeps two connections busy). */
  public static Builder newBuilder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** What the plugin started: one set for every factory created from it. */
  private final class Running {
    final CatalogSource catalog;
    final CostStore store;
    final CostMetrics metrics;
    final ResilientRecorder recorder;
    final Budgets budgets;
    final CostTracking tracking;
    final ScheduledExecutorService housekeeping;

    Running() {
      if (settings.migrate) {
        int applied = CostSchema.migrate(settings.dataSource);
        log.info("Costwise schema ready ({} migration(s) applied)", applied);
      }
      catalog = CatalogSource.bundled(settings.priceFile);
      store = new CostStore(CostStore.jdbi(settings.dataSource));
      metrics =
          CostMetrics.boundTo(
              settings.registry != null ? settings.registry : Metrics.globalRegistry);
      recorder =
          new ResilientRecorder(
              store,
              settings.dataDir.resolve("cost-spool.jsonl"),
              3,
              Duration.ofMillis(200),
              new ResilientRecorder.Listener() {
                @Override
                public void writeFailed(AttemptCost attempt, Exception error, boolean spooled) {
                  metrics.persistenceFailed(spooled);
                }
              },
              ResilientRecorder.DEFAULT_MAX_BATCH,
              ResilientRecorder.DEFAULT_MAX_WAIT,
              settings.writeBehind != null
                  ? ResilientRecorder.WRITERS
                  : ResilientRecorder.WRITE_THROUGH_WRITERS);
      if (settings.writeBehind != null) {
        recorder.writeBehind(settings.writeBehind);
      }
      metrics.watch(recorder);
      recorder.flushSpool();
      budgets =
          settings.budgets
              ? new Budgets(store.jdbi(), metrics, settings.alertSinks, settings.clock, recorder)
              : null;
      if (budgets != null) {
        settings.expectedCosts.forEach(budgets::expect);
      }
      CostTrackingOptions.Builder options =
          CostTrackingOptions.newBuilder()
              .setPricer(new Pricer(catalog, settings.strictPricing))
              .setRecorder(recorder)
              .setMetrics(metrics)
              .setBudgets(budgets)
              .setClock(settings.clock)
              .setFailOnInvalidSettings(settings.failOnInvalidSettings)
              .setSearchAttributes(() -> searchAttributes);
      settings.defaultLimits.forEach(options::setDefaultLimits);
      settings.extractors.forEach(options::addExtractor);
      settings.attemptObservers.forEach(options::addAttemptObserver);
      options.addUncheckedActivityTypes(settings.unchecked.toArray(new String[0]));
      tracking = new CostTracking(options.build());
      housekeeping =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "costwise-catalog-reload");
                t.setDaemon(true);
                return t;
              });
      long every = settings.reloadEvery.toMillis();
      housekeeping.scheduleWithFixedDelay(this::reload, every, every, TimeUnit.MILLISECONDS);
    }

    private void reload() {
      try {
        catalog.reloadIfChanged();
      } catch (RuntimeException e) {
        log.warn("Price file reload failed; the catalog in force is kept: {}", e.getMessage());
        metrics.internalError("catalog-reload");
      }
    }

    void stop() {
      housekeeping.shutdownNow();
      recorder.close();
    }
  }

  private synchronized Running running() {
    if (running == null) {
      running = new Running();
    }
    return running;
  }

  /** The tracking in force (starting the plugin's parts if nothing has yet). */
  public CostTracking tracking() {
    return running().tracking;
  }

  /** The cost store (starting the plugin's parts if nothing has yet). */
  public CostStore store() {
    return running().store;
  }

  /** Budgets, or null when turned off (starting the plugin's parts if nothing has yet). */
  public Budgets budgets() {
    return running().budgets;
  }

  /** The recorder (starting the plugin's parts if nothing has yet). */
  public ResilientRecorder recorder() {
    return running().recorder;
  }

  /** The price catalog source (starting the plugin's parts if nothing has yet). */
  public CatalogSource catalog() {
    return running().catalog;
  }

  /** Whether runs upsert the cost search attributes (known once a factory has started). */
  public boolean searchAttributesEnabled() {
    return searchAttributes;
  }

  @Override
  public void configureWorkflowClient(WorkflowClientOptions.Builder builder) {
    super.configureWorkflowClient(builder);
    WorkflowClientInterceptor[] set = builder.build().getInterceptors();
    List<WorkflowClientInterceptor> all =
        set == null ? new ArrayList<>() : new ArrayList<>(Arrays.asList(set));
    if (!all.contains(clientInterceptor)) {
      all.add(clientInterceptor);
    }
    builder.setInterceptors(all.toArray(new WorkflowClientInterceptor[0]));
  }

  @Override
  public void configureWorkerFactory(WorkerFactoryOptions.Builder builder) {
    super.configureWorkerFactory(builder);
    WorkerInterceptor ours = running().tracking.workerInterceptor();
    WorkerInterceptor[] set = builder.build().getWorkerInterceptors();
    List<WorkerInterceptor> all =
        set == null ? new ArrayList<>() : new ArrayList<>(Arrays.asList(set));
    if (!all.contains(ours)) {
      // first in the list is innermost: tracing interceptors the user registered wrap the cost
      // interceptor, so an attempt's span is still open when its cost is known (CostSpans)
      all.add(0, ours);
    }
    builder.setWorkerInterceptors(all.toArray(new WorkerInterceptor[0]));
  }

  @Override
  public void initializeWorker(String taskQueue, Worker worker) {
    super.initializeWorker(taskQueue, worker);
    Budgets budgets = running().budgets;
    if (budgets != null) {
      worker.registerActivitiesImplementations(budgets.checkActivity());
    }
  }

  @Override
  public void startWorkerFactory(
      WorkerFactory factory, java.util.function.Consumer<WorkerFactory> next) {
    synchronized (this) {
      running();
      factories.add(factory);
    }
    if (settings.searchAttributes) {
      registerSearchAttributes(factory.getWorkflowClient());
    }
    super.startWorkerFactory(factory, next);
  }

  @Override
  public void shutdownWorkerFactory(
      WorkerFactory factory, java.util.function.Consumer<WorkerFactory> next) {
    super.shutdownWorkerFactory(factory, next);
    boolean last;
    synchronized (this) {
      last = factories.remove(factory) && factories.isEmpty();
    }
    if (last) {
      Thread stopper =
          new Thread(
              () -> {
                factory.awaitTermination(settings.stopGrace.toMillis(), TimeUnit.MILLISECONDS);
                synchronized (CostwisePlugin.this) {
                  if (factories.isEmpty()) {
                    close();
                  }
                }
              },
              "costwise-plugin-stop");
      stopper.start();
    }
  }

  /** Stops what the plugin started (the recorder writes what it holds); safe to call twice. */
  @Override
  public synchronized void close() {
    if (running != null) {
      running.stop();
      running = null;
    }
  }

  private void registerSearchAttributes(WorkflowClient client) {
    String namespace = client.getOptions().getNamespace();
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder()
                .setChannel(client.getWorkflowServiceStubs().getRawChannel())
                .validateAndBuildWithDefaults());
    try {
      var added = CostSearchAttributes.register(operator, namespace);
      searchAttributes = true;
      if (!added.isEmpty()) {
        log.info("Registered search attributes {} in namespace '{}'", added.keySet(), namespace);
      }
    } catch (StatusRuntimeException e) {
      searchAttributes = false;
      log.warn(
          "Cannot register the cost search attributes {} in namespace '{}' ({}); runs will not"
              + " upsert them until an administrator registers them once",
          CostSearchAttributes.ALL.keySet(),
          namespace,
          e.getStatus().getCode());
    } finally {
      operator.shutdown();
    }
  }

  /** Settings of a {@link CostwisePlugin}; each has a default. */
  public static final class Builder {
    private final DataSource dataSource;
    private Path priceFile;
    private Path dataDir = Path.of("costwise-data");
    private MeterRegistry registry;
    private boolean budgets = true;
    private boolean migrate = true;
    private boolean strictPricing;
    private boolean searchAttributes = true;
    private boolean failOnInvalidSettings = true;
    private Clock clock = Clock.systemUTC();
    private Duration stopGrace = Duration.ofSeconds(30);
    private Duration reloadEvery = Duration.ofSeconds(30);
    private Duration writeBehind;
    private final List<AlertSink> alertSinks = new ArrayList<>();
    private final Map<String, ExecutionLimits> defaultLimits = new HashMap<>();
    private final Map<String, java.math.BigDecimal> expectedCosts = new HashMap<>();
    private final List<UsageExtractor> extractors = new ArrayList<>();
    private final List<AttemptObserver> attemptObservers = new ArrayList<>();
    private final Set<String> unchecked = new LinkedHashSet<>();

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** A price file over the bundled catalog, reloaded when it changes; none by default. */
    public Builder setPriceFile(Path priceFile) {
      this.priceFile = priceFile;
      return this;
    }

    /** Folder for the spool and journal; {@code ./costwise-data} by default. One worker each. */
    public Builder setDataDirectory(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir);
      return this;
    }

    /** Registry for the meters; Micrometer's global registry by default. */
    public Builder setMeterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /**
     * What one activity of {@code activityType} is expected to cost in USD (all its attempts):
     * reserved against the limits covering a run before such an activity is scheduled. Types
     * without a figure are reserved at a high percentile of their history, else at zero.
     *
     * @throws IllegalArgumentException when the amount is not a decimal of zero or more
     */
    public Builder setExpectedCost(String activityType, String usd) {
      java.math.BigDecimal amount;
      try {
        amount = new java.math.BigDecimal(Objects.requireNonNull(usd, "usd"));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "expected cost of "
                + activityType
                + " must be a decimal USD amount, was '"
                + usd
                + "'");
      }
      if (amount.signum() < 0) {
        throw new IllegalArgumentException(
            "expected cost of " + activityType + " cannot be negative, was " + usd);
      }
      expectedCosts.put(Objects.requireNonNull(activityType, "activityType"), amount);
      return this;
    }

    /** Budget checks, limits and period budgets; on by default. */
    public Builder setBudgets(boolean enabled) {
      this.budgets = enabled;
      return this;
    }

    /** Applies the cost schema at start (safe from many workers at once); on by default. */
    public Builder setMigrate(boolean migrate) {
      this.migrate = migrate;
      return this;
    }

    /** Fails attempts whose usage cannot be priced; off by default (stored unpriced). */
    public Builder setStrictPricing(boolean strict) {
      this.strictPricing = strict;
      return this;
    }

    /** Registers and upserts the cost search attributes when allowed; on by default. */
    public Builder setSearchAttributes(boolean enabled) {
      this.searchAttributes = enabled;
      return this;
    }

    /** See {@link CostTrackingOptions.Builder#setFailOnInvalidSettings}; on by default. */
    public Builder setFailOnInvalidSettings(boolean fail) {
      this.failOnInvalidSettings = fail;
      return this;
    }

    /** Where budget alerts go besides the log, the metric and the alert table. */
    public Builder addAlertSink(AlertSink sink) {
      this.alertSinks.add(Objects.requireNonNull(sink));
      return this;
    }

    /** Limits for runs of {@code workflowType}; a run's own override them limit by limit. */
    public Builder setDefaultLimits(String workflowType, ExecutionLimits limits) {
      this.defaultLimits.put(Objects.requireNonNull(workflowType), Objects.requireNonNull(limits));
      return this;
    }

    /** Reads usage from result types you do not own. */
    public Builder addExtractor(UsageExtractor extractor) {
      this.extractors.add(Objects.requireNonNull(extractor));
      return this;
    }

    /**
     * Adds an observer told of each attempt's priced usage as it ends; {@link
     * CostSpans#openTracing} puts usage and cost on the SDK's OpenTracing activity spans.
     */
    public Builder addAttemptObserver(AttemptObserver observer) {
      this.attemptObservers.add(Objects.requireNonNull(observer));
      return this;
    }

    /** Activity types known to spend nothing: no budget check after them. */
    public Builder addUncheckedActivityTypes(String... activityTypes) {
      this.unchecked.addAll(Arrays.asList(activityTypes));
      return this;
    }

    /** Clock for timestamps and budget periods; UTC system time by default. */
    public Builder setClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** How long a shutting-down factory may run its last attempts before the plugin stops. */
    public Builder setStopGrace(Duration grace) {
      if (grace.isNegative()) {
        throw new IllegalArgumentException("stop grace cannot be negative");
      }
      this.stopGrace = grace;
      return this;
    }

    /** How often the price file is checked for changes; every 30 seconds by default. */
    public Builder setPriceFileCheckInterval(Duration every) {
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("the price file check interval must be positive");
      }
      this.reloadEvery = every;
      return this;
    }

    /**
     * Write-behind, off by default. With it, an activity attempt returns once its cost is synced to
     * the worker's local journal (a few milliseconds; one sync serves every attempt waiting) rather
     * than committed in PostgreSQL, and the writers wait up to {@code linger} to gather larger
     * transactions. A worker that dies leaves the journal to the next start on the same data
     * directory, which writes what it holds. Budgets on this worker count the unwritten cost; a
     * reader elsewhere (reports, another worker's budget check of an activity that retried there)
     * sees it up to {@code linger} plus one write later.
     *
     * @param linger how long a writer waits to gather a batch, from 0 to 1 second
     */
    public Builder setWriteBehind(Duration linger) {
      if (linger == null || linger.isNegative() || linger.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException(
            "write-behind linger must be between 0 and 1 second, was " + linger);
      }
      this.writeBehind = linger;
      return this;
    }

    /** The plugin; nothing is started until a worker factory is created from it. */
    public CostwisePlugin build() {
      return new CostwisePlugin(this);
    }
  }
}
