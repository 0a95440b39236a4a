package dev.costwise.store;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned SQL in {@code db/migration/costwise} (the costwise-migrations jar). Safe
 * to run on every start and from several workers at once: Flyway takes a PostgreSQL advisory lock
 * and skips versions already applied.
 */
public final class CostSchema {
  /** Flyway's history table for this schema, kept apart from any the application has. */
  public static final String HISTORY_TABLE = "costwise_schema_history";

  private CostSchema() {}

  /** Brings the schema up to date and returns how many migrations ran. */
  public static int migrate(DataSource dataSource) {
    MigrateResult result =
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:db/migration/costwise")
            .table(HISTORY_TABLE)
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load()
            .migrate();
    return result.migrationsExecuted;
  }
}
