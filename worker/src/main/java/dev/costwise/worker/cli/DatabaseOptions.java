package dev.costwise.worker.cli;

import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Option;

/** Where the cost database is: {@code --database-url}, else the {@code DATABASE_URL} environment variable. */
public final class DatabaseOptions {
  @Option(
      names = "--database-url",
      defaultValue = "${env:DATABASE_URL}",
      description = "JDBC URL of the cost database, e.g. jdbc:postgresql://localhost/costwise?user=costwise "
          + "(default: $DATABASE_URL).")
  String url;

  /** A migrated database's JDBI handle. */
  Jdbi jdbi() {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("No database: pass --database-url jdbc:postgresql://... or set DATABASE_URL");
    }
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("--database-url must be a PostgreSQL JDBC URL (jdbc:postgresql://...), was " + url);
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(url);
    DataSource dataSource = ds;
    CostSchema.migrate(dataSource);
    return CostStore.jdbi(dataSource);
  }
}
