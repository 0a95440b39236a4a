package dev.costwise.estimate;

/**
 * An estimate that cannot be made as asked: a bad plan, or nothing to estimate from. Not retried.
 */
public class EstimateException extends IllegalArgumentException {
  /** With a message that says what was wrong and what to do. */
  public EstimateException(String message) {
    super(message);
  }
}
