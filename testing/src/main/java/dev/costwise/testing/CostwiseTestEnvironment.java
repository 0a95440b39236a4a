package dev.costwise.testing;

import dev.costwise.store.CostStore;
import dev.costwise.temporal.CostwisePlugin;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * The Temporal test server with the Costwise plugin installed, over a fresh database in an embedded
 * PostgreSQL: what an adopter's test needs to assert what its workflows cost.
 *
 * <pre>{@code
 * try (var costwise = CostwiseTestEnvironment.start()) {
 *   Worker worker = costwise.newWorker("research");
 *   worker.registerWorkflowImplementationTypes(ResearchImpl.class);
 *   worker.registerActivitiesImplementations(new ResearchActivities());
 *   costwise.startWorkers();
 *   // run workflows with costwise.client(), then read costwise.store().steps(runId)
 * }
 * }</pre>
 *
 * <p>One PostgreSQL serves the whole test JVM (started on first use on a free loopback port, about
 * three seconds); each environment gets its own database, so tests never see each other's rows.
 */
public final class CostwiseTestEnvironment implements AutoCloseable {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres postgres;

  private final DataSource dataSource;
  private final CostwisePlugin plugin;
  private final TestWorkflowEnvironment env;
  private final Path dataDir;

  private CostwiseTestEnvironment(Consumer<CostwisePlugin.Builder> customize) {
    this.dataSource = freshDatabase();
    try {
      this.dataDir = Files.createTempDirectory("costwise-test");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CostwisePlugin.Builder builder =
        CostwisePlugin.newBuilder(dataSource).setDataDirectory(dataDir);
    customize.accept(builder);
    this.plugin = builder.build();
    this.env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder().setPlugins(plugin).build())
                .build());
  }

  /** An environment with the plugin's defaults. */
  public static CostwiseTestEnvironment start() {
    return start(b -> {});
  }

  /** An environment whose plugin {@code customize} configures (limits, price file, meters, …). */
  public static CostwiseTestEnvironment start(Consumer<CostwisePlugin.Builder> customize) {
    return new CostwiseTestEnvironment(customize);
  }

  /**
   * A worker on {@code taskQueue} with Costwise installed; register, then {@link #startWorkers}.
   */
  public Worker newWorker(String taskQueue) {
    return env.newWorker(taskQueue);
  }

  /** Starts every worker created so far. */
  public void startWorkers() {
    env.start();
  }

  /** A client of the test server, with the plugin's client side. */
  public WorkflowClient client() {
    return env.getWorkflowClient();
  }

  /** The cost store over this environment's database. */
  public CostStore store() {
    return plugin.store();
  }

  /** The plugin, for its budgets, recorder and catalog. */
  public CostwisePlugin plugin() {
    return plugin;
  }

  /** This environment's database. */
  public DataSource dataSource() {
    return dataSource;
  }

  /** The underlying Temporal test environment (time skipping, search attributes, …). */
  public TestWorkflowEnvironment temporal() {
    return env;
  }

  /** Stops the workers and the test server, then the plugin (writing what it holds). */
  @Override
  public void close() {
    env.close();
    plugin.close();
  }

  private static synchronized DataSource freshDatabase() {
    try {
      if (postgres == null) {
        postgres = EmbeddedPostgres.builder().start();
        EmbeddedPostgres started = postgres;
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        started.close();
                      } catch (IOException ignored) {
                        // the JVM is exiting
                      }
                    },
                    "costwise-test-postgres-stop"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start", e);
    }
    String name =
        "costwise_env_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name, e);
    }
    return postgres.getDatabase("postgres", name);
  }
}
