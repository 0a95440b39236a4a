package dev.costwise.worker.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Option;

/** The options every command that reads or writes the cost database shares: where it is. */
public final class DatabaseOptions {
  /** Environment variable naming the database when no flag is given. */
  public static final String DATABASE_URL_ENV = "DATABASE_URL";

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description =
          "PostgreSQL to read, as jdbc:postgresql://host:port/db?user=..&password=.. or"
              + " postgres://user:password@host:port/db (default: $" + DATABASE_URL_ENV + ").")
  String url;

  /** A small connection pool to the database; close it when done. */
  public HikariDataSource open() {
    String given = url != null && !url.isBlank() ? url : System.getenv(DATABASE_URL_ENV);
    if (given == null || given.isBlank()) {
      throw new IllegalArgumentException(
          "No database given; pass --database-url or set " + DATABASE_URL_ENV + " (e.g. jdbc:postgresql://localhost:5432/costwise?user=costwise)");
    }
    HikariConfig config = new HikariConfig();
    config.setMaximumPoolSize(4); // migrating holds a lock connection while Flyway uses its own
    config.setPoolName("costwise-cli");
    if (given.startsWith("jdbc:")) {
      config.setJdbcUrl(given);
    } else if (given.startsWith("postgres://") || given.startsWith("postgresql://")) {
      URI uri = URI.create(given);
      String path = uri.getRawPath() == null ? "" : uri.getRawPath();
      config.setJdbcUrl(
          "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + path
              + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
      if (uri.getRawUserInfo() != null) {
        String[] parts = uri.getRawUserInfo().split(":", 2);
        config.setUsername(URLDecoder.decode(parts[0], StandardCharsets.UTF_8));
        if (parts.length == 2) {
          config.setPassword(URLDecoder.decode(parts[1], StandardCharsets.UTF_8));
        }
      }
    } else {
      throw new IllegalArgumentException(
          "Database URL must start with jdbc:postgresql:// or postgres://, was '" + redact(given) + "'");
    }
    return new HikariDataSource(config);
  }

  private static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***").replaceAll("//([^:/@]+):[^@]*@", "//$1:***@");
  }
}
