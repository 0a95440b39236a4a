package dev.costwise.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.store.CostSchema;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import javax.sql.DataSource;

/**
 * A real PostgreSQL of its own (data folder and port kept across restarts) that a test stops and
 * starts again, behind a HikariCP pool configured as the worker's: an outage as a worker sees it.
 */
public final class StoppableDatabase implements AutoCloseable {
  private final Path dataDir;
  private final int port;
  private EmbeddedPostgres server;
  private final HikariDataSource pool;

  /** Starts a server on a free loopback port with its data in {@code dataDir}, migrated. */
  public StoppableDatabase(Path dataDir) {
    this.dataDir = dataDir;
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    start();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + port + "/postgres");
    config.setUsername("postgres");
    config.setMaximumPoolSize(8);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(5_000);
    config.addDataSourceProperty("connectTimeout", "5");
    pool = new HikariDataSource(config);
    CostSchema.migrate(pool);
  }

  /** The pooled data source, as the worker's. */
  public DataSource dataSource() {
    return pool;
  }

  /** Starts the server again on the same folder and port. */
  public synchronized void start() {
    try {
      server =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir)
              .setCleanDataDirectory(false)
              .setPort(port)
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("PostgreSQL did not start", e);
    }
  }

  /** Stops the server (fast shutdown: open connections are cut, as in an outage). */
  public synchronized void stop() {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException("PostgreSQL did not stop", e);
    }
    server = null;
  }

  @Override
  public synchronized void close() {
    pool.close();
    if (server != null) {
      stop();
    }
  }
}
