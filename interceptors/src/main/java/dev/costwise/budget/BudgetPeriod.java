package dev.costwise.budget;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;

/**
 * Calendar period of a budget, in UTC: days start at midnight, weeks on Monday, months on the 1st.
 */
public enum BudgetPeriod {
  DAILY,
  WEEKLY,
  MONTHLY;

  /** Start of the period that contains {@code now}. */
  public Instant start(Instant now) {
    LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
    LocalDate first =
        switch (this) {
          case DAILY -> day;
          case WEEKLY -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
          case MONTHLY -> day.withDayOfMonth(1);
        };
    return first.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /** Start of the next period, the end (exclusive) of the one that contains {@code now}. */
  public Instant end(Instant now) {
    LocalDate first = LocalDate.ofInstant(start(now), ZoneOffset.UTC);
    LocalDate next =
        switch (this) {
          case DAILY -> first.plusDays(1);
          case WEEKLY -> first.plusWeeks(1);
          case MONTHLY -> first.plusMonths(1);
        };
    return next.atStartOfDay(ZoneOffset.UTC).toInstant();
  }
}
