package dev.costwise.worker;

import java.math.BigDecimal;

/**
 * How the worker writes exact decimals for people and machines: never rounded, never in exponent
 * form.
 */
public final class Decimals {
  private Decimals() {}

  /** {@code v} without exponent or trailing zeros ("0" for zero, null for null). */
  public static String plain(BigDecimal v) {
    return v == null ? null : v.signum() == 0 ? "0" : v.stripTrailingZeros().toPlainString();
  }
}
