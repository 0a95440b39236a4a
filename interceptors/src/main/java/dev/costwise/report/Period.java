package dev.costwise.report;

import java.util.Locale;

/** The length of one bucket of a period report: a UTC day or a calendar month. */
public enum Period {
  DAY,
  MONTH;

  /** The unit PostgreSQL's {@code date_trunc} takes for this period. */
  String unit() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code day}/{@code daily} or {@code month}/{@code monthly}, case-insensitively. */
  public static Period parse(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "day", "daily" -> DAY;
      case "month", "monthly" -> MONTH;
      default ->
          throw new IllegalArgumentException("Unknown period '" + text + "'; use day or month");
    };
  }
}
