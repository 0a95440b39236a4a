package dev.costwise.worker;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** The connection pool to PostgreSQL, opened only once a connection is known to work. */
public final class Database {
  private Database() {}

  /**
   * Opens a pool to {@code jdbcUrl} and proves it with one connection.
   *
   * @throws StartupException with the server's own reason (refused, unknown host, bad password, no
   *     such database) when it cannot connect within a few seconds
   */
  public static HikariDataSource connect(String jdbcUrl, String user, String password) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("costwise");
    config.setJdbcUrl(jdbcUrl);
    if (user != null) {
      config.setUsername(user);
    }
    if (password != null) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(8);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(5_000);
    config.setInitializationFailTimeout(5_000);
    config.addDataSourceProperty("connectTimeout", "5");
    config.addDataSourceProperty("ApplicationName", "costwise-worker");
    try {
      HikariDataSource ds = new HikariDataSource(config);
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.execute("SELECT 1");
      }
      return ds;
    } catch (HikariPool.PoolInitializationException | SQLException e) {
      throw new StartupException(
          "Cannot connect to PostgreSQL at "
              + WorkerConfig.redact(jdbcUrl)
              + ": "
              + rootMessage(e)
              + " (check "
              + WorkerConfig.Env.DATABASE_URL
              + ", "
              + WorkerConfig.Env.DATABASE_USER
              + " and "
              + WorkerConfig.Env.DATABASE_PASSWORD
              + ", or the matching flags)",
          e);
    }
  }

  /** Whether a connection from {@code ds} answers a trivial query within two seconds. */
  public static boolean healthy(javax.sql.DataSource ds) {
    try (Connection c = ds.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /** The driver's own message (the most specific one it gave), on one line. */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (!(t instanceof SQLException) && t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m.replace('\n', ' ').strip();
  }
}
