package dev.costwise.pricing;

import java.math.BigDecimal;

/** How Costwise writes an exact amount for people and machines: all digits, never rounded. */
public final class Money {
  private Money() {}

  /**
   * {@code v} without exponent or trailing zeros, e.g. {@code 0.00725} or {@code 3.2}; {@code "0"}
   * for zero and null for null.
   */
  public static String plain(BigDecimal v) {
    return v == null ? null : v.stripTrailingZeros().toPlainString();
  }
}
