package dev.costwise.worker.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
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
    given = given.strip();
    if (given.startsWith("jdbc:postgresql:")) {
      return new Target(given, null, null);
    }
    if (given.startsWith("postgres://") || given.startsWith("postgresql://")) {
      URI uri = URI.create(given);
      String path = uri.getRawPath() == null ? "" : uri.getRawPath();
      String jdbc =
          "jdbc:postgresql://"
              + uri.getHost()
              + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
              + path
              + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      String user = null;
      String password = null;
      if (uri.getRawUserInfo() != null) {
        String[] parts = uri.getRawUserInfo().split(":", 2);
        user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        password = parts.length == 2 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
      }
      return new Target(jdbc, user, password);
    }
    throw new IllegalArgumentException(
        "Database URL must start with jdbc:postgresql:// or postgres://, was '"
            + redact(given)
            + "'");
  }

  private static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***")
        .replaceAll("//([^:/@]+):[^@]*@", "//$1:***@");
  }
}
