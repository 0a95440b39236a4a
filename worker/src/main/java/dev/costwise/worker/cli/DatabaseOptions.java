package dev.costwise.worker.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import dev.costwise.worker.WorkerConfig;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Option;

/**
 * The options every command that reads or writes the cost database shares: where it is. The schema
 * is brought up to date on first use, as the worker does on start.
 */
public final class DatabaseOptions {
  /** Environment variable naming the database when no flag is given. */
  public static final String DATABASE_URL_ENV = "DATABASE_URL";

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description =
          "PostgreSQL to use, as jdbc:postgresql://host:port/db?user=..&password=.. or"
              + " postgres://user:password@host:port/db (default: $"
              + DATABASE_URL_ENV
              + ").")
  String url;

  @Option(
      names = "--database-user",
      paramLabel = "USER",
      description = "Database user, when the URL has none (default: $DATABASE_USER).")
  String user;

  @Option(
      names = "--database-password",
      paramLabel = "PASSWORD",
      description = "Database password, when the URL has none (default: $DATABASE_PASSWORD).")
  String password;

  private record Target(String jdbcUrl, String user, String password) {}

  /** A small migrated connection pool to the database; close it when done. */
  public HikariDataSource open() {
    Target t = target();
    HikariConfig config = new HikariConfig();
    config.setMaximumPoolSize(4); // migrating holds a lock connection while Flyway uses its own
    config.setPoolName("costwise-cli");
    config.setJdbcUrl(t.jdbcUrl());
    config.setUsername(t.user());
    config.setPassword(t.password());
    HikariDataSource ds = new HikariDataSource(config);
    try {
      CostSchema.migrate(ds);
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return ds;
  }

  /**
   * A JDBI handle on the migrated database over unpooled connections (each operation opens and
   * closes its own), for commands that make a few calls and exit.
   */
  public Jdbi jdbi() {
    Target t = target();
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(t.jdbcUrl());
    if (t.user() != null) {
      ds.setUser(t.user());
    }
    if (t.password() != null) {
      ds.setPassword(t.password());
    }
    CostSchema.migrate(ds);
    return CostStore.jdbi(ds);
  }

  private Target target() {
    String given = url != null && !url.isBlank() ? url : System.getenv(DATABASE_URL_ENV);
    if (given == null || given.isBlank()) {
      throw new IllegalArgumentException(
          "No database given; pass --database-url or set "
              + DATABASE_URL_ENV
              + " (e.g. jdbc:postgresql://localhost:5432/costwise?user=costwise)");
    }
    // the worker's own parser and variables, so the CLI reaches the database the worker uses
    return new Target(
        WorkerConfig.jdbcUrl(given),
        firstOf(user, System.getenv(WorkerConfig.Env.DATABASE_USER)),
        firstOf(password, System.getenv(WorkerConfig.Env.DATABASE_PASSWORD)));
  }

  private static String firstOf(String flag, String env) {
    if (flag != null && !flag.isBlank()) {
      return flag;
    }
    return env == null || env.isBlank() ? null : env;
  }
}
