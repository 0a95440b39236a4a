package dev.costwise.budget;

import java.math.BigDecimal;
import java.util.Map;

/**
 * Spending limits of one workflow run in USD: crossing {@code softUsd} raises a warning alert,
 * crossing {@code hardUsd} fails the run with {@value BudgetExceeded#TYPE}. Either may be null (no
 * such limit).
 *
 * <p>Set per run in the memo under {@code costwise.budget}, e.g. {@code {"softUsd": "1.00",
 * "hardUsd": "2.00"}}, or per workflow type in {@code CostTrackingOptions}.
 */
public record ExecutionLimits(BigDecimal softUsd, BigDecimal hardUsd) {
  /** No limits. */
  public static final ExecutionLimits NONE = new ExecutionLimits(null, null);

  /** Checks that limits are positive and that the soft limit is not above the hard one. */
  public ExecutionLimits {
    if (softUsd != null && softUsd.signum() <= 0) {
      throw new IllegalArgumentException("soft limit must be positive, was " + softUsd);
    }
    if (hardUsd != null && hardUsd.signum() <= 0) {
      throw new IllegalArgumentException("hard limit must be positive, was " + hardUsd);
    }
    if (softUsd != null && hardUsd != null && softUsd.compareTo(hardUsd) > 0) {
      throw new IllegalArgumentException(
          "soft limit " + softUsd + " is above hard limit " + hardUsd);
    }
  }

  /** Limits from decimal strings, either null. */
  public static ExecutionLimits of(String softUsd, String hardUsd) {
    return new ExecutionLimits(
        softUsd == null ? null : new BigDecimal(softUsd),
        hardUsd == null ? null : new BigDecimal(hardUsd));
  }

  /**
   * Limits from a memo value such as {@code {"softUsd": "1.00", "hardUsd": "2.00"}}; numbers and
   * strings are both accepted, missing keys mean no such limit.
   *
   * @throws IllegalArgumentException when a value is not a positive decimal
   */
  public static ExecutionLimits fromMap(Map<?, ?> memo) {
    if (memo == null) {
      return NONE;
    }
    for (Object key : memo.keySet()) {
      if (!"softUsd".equals(key) && !"hardUsd".equals(key)) {
        throw new IllegalArgumentException(
            "costwise.budget has the unknown key '"
                + shorten(String.valueOf(key))
                + "'; the keys are softUsd and hardUsd");
      }
    }
    return new ExecutionLimits(decimal(memo, "softUsd"), decimal(memo, "hardUsd"));
  }

  /**
   * These limits as {@link #fromMap} reads them: {@code softUsd} and {@code hardUsd} as exact
   * decimal text, each only when set.
   */
  public Map<String, String> toMap() {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    if (softUsd != null) {
      m.put("softUsd", softUsd.toPlainString());
    }
    if (hardUsd != null) {
      m.put("hardUsd", hardUsd.toPlainString());
    }
    return m;
  }

  /** Largest limit accepted, in USD: a larger one is a mistake, not a cap. */
  public static final BigDecimal MAX_USD = new BigDecimal("1000000000000");

  private static String shorten(String s) {
    return dev.costwise.usage.Printable.echo(s, 40);
  }

  /** These limits where set, else {@code fallback}'s, limit by limit. */
  public ExecutionLimits orElse(ExecutionLimits fallback) {
    return new ExecutionLimits(
        softUsd != null ? softUsd : fallback.softUsd, hardUsd != null ? hardUsd : fallback.hardUsd);
  }

  private static BigDecimal decimal(Map<?, ?> memo, String key) {
    Object v = memo.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String || v instanceof Number)) {
      throw new IllegalArgumentException(
          "costwise.budget." + key + " must be a decimal USD amount such as \"2.00\"");
    }
    String text = v.toString().strip();
    BigDecimal amount;
    try {
      if (text.length() > 40) {
        throw new NumberFormatException("too long");
      }
      amount = new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "costwise.budget."
              + key
              + " must be a decimal USD amount such as \"2.00\", was '"
              + shorten(text)
              + "'",
          e);
    }
    if (amount.compareTo(MAX_USD) > 0 || amount.stripTrailingZeros().scale() > 18) {
      throw new IllegalArgumentException(
          "costwise.budget."
              + key
              + " must be at most "
              + MAX_USD.toPlainString()
              + " USD with at most 18 decimal places, was '"
              + shorten(text)
              + "'");
    }
    return amount;
  }
}
