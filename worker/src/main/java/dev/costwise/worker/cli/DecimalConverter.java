package dev.costwise.worker.cli;

import dev.costwise.worker.CliErrors;
import java.math.BigDecimal;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses a decimal option (seconds, dollars) and rejects absurd values before any arithmetic: at
 * most {@value #MAX_LENGTH} characters, at most {@value #MAX_INTEGER_DIGITS} digits before the
 * point and {@value #MAX_DECIMALS} after it, so {@code 1e999999999} is refused without being
 * expanded.
 */
public final class DecimalConverter implements ITypeConverter<BigDecimal> {
  /** The longest text accepted as a number. */
  public static final int MAX_LENGTH = 40;

  /** The most digits before the decimal point. */
  public static final int MAX_INTEGER_DIGITS = 15;

  /** The most digits after the decimal point (what the cost tables store). */
  public static final int MAX_DECIMALS = 18;

  @Override
  public BigDecimal convert(String value) {
    String v = value.strip();
    if (v.length() > MAX_LENGTH) {
      throw new TypeConversionException(
          "'"
              + CliErrors.echo(v)
              + "' is too long for a number (at most "
              + MAX_LENGTH
              + " characters)");
    }
    BigDecimal d;
    try {
      d = new BigDecimal(v);
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + CliErrors.echo(v) + "' is not a decimal number");
    }
    // precision - scale is the number of digits before the point, computed without expanding
    if (d.signum() != 0 && (long) d.precision() - d.scale() > MAX_INTEGER_DIGITS) {
      throw new TypeConversionException(
          "'"
              + CliErrors.echo(v)
              + "' is too large (at most "
              + MAX_INTEGER_DIGITS
              + " digits before the decimal point)");
    }
    if (d.scale() > MAX_DECIMALS && d.stripTrailingZeros().scale() > MAX_DECIMALS) {
      throw new TypeConversionException(
          "'" + CliErrors.echo(v) + "' has more than " + MAX_DECIMALS + " decimals");
    }
    return d;
  }
}
