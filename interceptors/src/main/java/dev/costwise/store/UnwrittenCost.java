package dev.costwise.store;

import java.math.BigDecimal;

/**
 * What a recorder knows that the database does not yet: spend of a run recorded but not written
 * (spooled while PostgreSQL was unreachable), and whether PostgreSQL is reachable at all. Budget
 * checks add it, so that a limit never depends on a write having succeeded.
 */
public interface UnwrittenCost {
  /** Nothing unwritten, database taken to be up. */
  UnwrittenCost NONE =
      new UnwrittenCost() {
        @Override
        public BigDecimal unwrittenUsd(String runId) {
          return BigDecimal.ZERO;
        }

        @Override
        public boolean databaseDown() {
          return false;
        }
      };

  /** Spend of {@code runId} recorded here and not yet in the database. */
  BigDecimal unwrittenUsd(String runId);

  /** Whether the database is known to be unreachable right now. */
  boolean databaseDown();
}
