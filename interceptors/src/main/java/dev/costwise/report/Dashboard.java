package dev.costwise.report;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * What the dashboard draws over its last days: spend per UTC day stacked by model (the top models
 * by spend, the rest summed as {@code other}) and the most expensive runs.
 *
 * @param from the first instant covered (midnight UTC)
 * @param to the end of the range, exclusive (the next midnight UTC after today)
 * @param runCount runs first recorded in the range
 * @param models the models the series names, highest spend first, then {@code other} if any
 * @param spendByDay one entry per day of the range, oldest first, even when nothing was spent
 * @param topRuns the most expensive runs first recorded in the range
 */
public record Dashboard(
    Instant from,
    Instant to,
    BigDecimal totalUsd,
    long runCount,
    List<String> models,
    List<DaySpend> spendByDay,
    List<RunTotal> topRuns) {

  /** One day's spend per model name (or {@code other}). */
  public record DaySpend(LocalDate day, Map<String, BigDecimal> byModel) {}
}
