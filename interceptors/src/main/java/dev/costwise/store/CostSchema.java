package dev.costwise.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned SQL in {@code db/migration/costwise} (the costwise-migrations jar). Safe to
 * run on every start and from several workers at once: migrations run under a PostgreSQL advisory
 * lock (Flyway's own lock only exists once its history table does, so two first starts would
 * otherwise race to create it), and versions already applied are skipped.
 */
public final class CostSchema {
  /** Flyway's history table for this schema, kept apart from any the application has. */
  public static final String HISTORY_TABLE = "costwise_schema_history";

  /** Advisory lock key held while migrating ("costwise" in ASCII). */
  static final long LOCK_KEY = 0x636f737477697365L;

  private CostSchema() {}

  /**
   * Brings the schema up to date and returns how many migrations ran. Uses two connections of
   * {@code dataSource} at once (one holds the lock).
   *
   * @throws CostStoreException when the database cannot be reached or a migration fails
   */
  public static int migrate(DataSource dataSource) {
    try (Connection lock = dataSource.getConnection();
        Statement s = lock.createStatement()) {
      s.execute("SELECT pg_advisory_lock(" + LOCK_KEY + ")");
      try {
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
      } finally {
        s.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
      }
    } catch (SQLException e) {
      throw new CostStoreException("Cannot migrate the cost schema: " + e.getMessage(), e);
    }
  }
}
