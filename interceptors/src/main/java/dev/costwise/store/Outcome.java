package dev.costwise.store;

/**
 * How an activity attempt ended. Failed and canceled attempts that called a model were still
 * billed.
 */
public enum Outcome {
  COMPLETED,
  FAILED,
  CANCELED
}
