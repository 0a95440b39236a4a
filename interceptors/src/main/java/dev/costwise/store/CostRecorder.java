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
}
