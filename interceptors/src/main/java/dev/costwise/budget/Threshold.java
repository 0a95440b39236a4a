package dev.costwise.budget;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Objects;

/** A percentage of a period budget's limit and what happens when spend reaches it. */
public record Threshold(BigDecimal percent, Action action) {
  /** What reaching a threshold does. */
  public enum Action {
    /** Store an alert, count it, log it and post it to the webhook. */
    NOTIFY,
    /** Notify, and fail runs in scope with {@value BudgetExceeded#TYPE} before they spend more. */
    BLOCK
  }

  /** Checks the percentage is positive. */
  public Threshold {
    Objects.requireNonNull(action, "threshold action");
    if (percent == null || percent.signum() <= 0) {
      throw new IllegalArgumentException("threshold percent must be positive, was " + percent);
    }
  }

  /**
   * Parses {@code 80:notify} or {@code 100:block}.
   *
   * @throws IllegalArgumentException naming the accepted form
   */
  public static Threshold parse(String text) {
    int colon = text.indexOf(':');
    try {
      if (colon > 0) {
        return new Threshold(
            new BigDecimal(text.substring(0, colon).replace("%", "")),
            Action.valueOf(text.substring(colon + 1).toUpperCase(Locale.ROOT)));
      }
    } catch (IllegalArgumentException e) {
      // reported below with the accepted form
    }
    throw new IllegalArgumentException(
        "Bad threshold '" + text + "': use <percent>:notify or <percent>:block, e.g. 80:notify");
  }

  /** The spend at which this threshold is reached for a budget of {@code limitUsd}. */
  public BigDecimal amount(BigDecimal limitUsd) {
    return limitUsd.multiply(percent).movePointLeft(2);
  }

  /** The percentage as shown in alerts, e.g. {@code 80%}. */
  public String label() {
    return percent.stripTrailingZeros().toPlainString() + "%";
  }
}
