package dev.costwise.worker;

import dev.costwise.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts real workers for tests: embedded Temporal on a free loopback port, a fresh PostgreSQL
 * database.
 */
public final class TestWorkers {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private TestWorkers() {}

  /**
   * A configuration with a new empty database on the shared test server, free ports and {@code
   * dataDir}.
   */
  public static WorkerConfig.Builder config(Path dataDir) {
    return WorkerConfig.builder()
        .temporalPort(freePort())
        .databaseUrl(TestDatabase.jdbcUrl(newDatabase()))
        .dataDir(dataDir)
        .httpPort(0)
        .taskQueue("costwise-test");
  }

  /** A free TCP port on the loopback interface. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String newDatabase() {
    String name =
        "costwise_worker_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c = TestDatabase.server().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return name;
  }
}
