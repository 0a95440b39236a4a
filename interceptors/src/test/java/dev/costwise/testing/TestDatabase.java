package dev.costwise.testing;

import dev.costwise.store.CostSchema;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * One real embedded PostgreSQL per test JVM, and a fresh, migrated database for each caller (one
 * per test class), so tests never see each other's rows.
 */
public final class TestDatabase {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedPostgres server;

  private TestDatabase() {}

  /** The shared server, started on first use on a free loopback port. */
  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException("embedded PostgreSQL did not start", e);
      }
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      server.close();
                    } catch (IOException ignored) {
                      // the JVM is exiting; the temporary data directory is removed by the library
                    }
                  }));
    }
    return server;
  }

  /** A new empty database with the cost schema applied. */
  public static DataSource fresh() {
    DataSource ds = empty();
    CostSchema.migrate(ds);
    return ds;
  }

  /** A new empty database with no schema. */
  public static DataSource empty() {
    String name =
        "costwise_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name, e);
    }
    return server().getDatabase("postgres", name);
  }

  /**
   * JDBC URL of a database made by {@link #fresh()} or {@link #empty()}; for tools that need a URL.
   */
  public static String jdbcUrl(String database) {
    return server().getJdbcUrl("postgres", database);
  }
}
