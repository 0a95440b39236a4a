package dev.costwise.estimate;

import java.math.BigDecimal;

/**
 * How estimates are made.
 *
 * @param minSamples recorded attempts of an activity type and model needed before history is used
 * @param historyDays how far back history is read
 * @param planMargin fraction subtracted from and added to a plan step's expected cost for its low
 *     and high when the plan declares no range of calls (0.25 = plus or minus 25%)
 * @param maxSamples most recent priced lines read per activity type (bounds the cost of history)
 */
public record EstimateOptions(
    int minSamples, int historyDays, BigDecimal planMargin, int maxSamples) {
  /** 5 samples, 90 days, plus or minus 25%, the latest 2,000 lines per activity type. */
  public static final EstimateOptions DEFAULTS =
      new EstimateOptions(5, 90, new BigDecimal("0.25"), 2_000);

  /** Rejects values that make no estimate. */
  public EstimateOptions {
    if (minSamples < 1) {
      throw new IllegalArgumentException("minSamples must be 1 or more, was " + minSamples);
    }
    if (historyDays < 1) {
      throw new IllegalArgumentException("historyDays must be 1 or more, was " + historyDays);
    }
    if (maxSamples < minSamples) {
      throw new IllegalArgumentException(
          "maxSamples (" + maxSamples + ") must be at least minSamples (" + minSamples + ")");
    }
    if (planMargin == null || planMargin.signum() < 0 || planMargin.compareTo(BigDecimal.ONE) > 0) {
      throw new IllegalArgumentException("planMargin must be between 0 and 1, was " + planMargin);
    }
  }
}
