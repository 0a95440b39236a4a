package dev.costwise.store;

/**
 * How an activity attempt ended. Failed and canceled attempts that called a model were still
 * billed.
 */
public enum Outcome {
  COMPLETED,
  FAILED,
  CANCELED,
  /**
   * The worker died while the attempt ran; recorded at the worker's next start from the usage it
   * had already made durable. Temporal retries such an attempt, and the provider billed both.
   */
  INTERRUPTED
}
