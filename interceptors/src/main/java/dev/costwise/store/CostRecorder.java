package dev.costwise.store;

/** Where the activity interceptor hands each attempt's priced usage. */
@FunctionalInterface
public interface CostRecorder {
  /**
   * Persists one attempt. Writing the same attempt again replaces it; it never adds twice.
   *
   * @throws CostStoreException when the write failed
   */
  void record(AttemptCost attempt);

  /**
   * Persists one attempt, returning by {@code deadline} (null: no deadline) even if the database is
   * slow; a recorder that cannot meet it keeps the attempt safe elsewhere first.
   */
  default void record(AttemptCost attempt, java.time.Instant deadline) {
    record(attempt);
  }

  /**
   * Called when an attempt starts: returns what its usage scope tells of each record as it arrives,
   * so a recorder can make usage durable before the attempt ends. Nothing by default.
   */
  default dev.costwise.usage.UsageScope.Listener observe(
      AttemptContext context, java.util.Map<String, String> tags, java.time.Clock clock) {
    return (lineNo, line) -> {};
  }
}
