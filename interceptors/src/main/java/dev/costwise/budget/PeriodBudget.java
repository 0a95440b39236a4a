package dev.costwise.budget;

import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** A spending limit over a calendar period for one scope, with thresholds in ascending order. */
public record PeriodBudget(
    String name,
    BudgetPeriod period,
    BudgetScope scope,
    BigDecimal limitUsd,
    List<Threshold> thresholds) {

  /** Validates and sorts the thresholds. */
  public PeriodBudget {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a budget needs a name");
    }
    Objects.requireNonNull(period, "budget period");
    Objects.requireNonNull(scope, "budget scope");
    if (limitUsd == null || limitUsd.signum() <= 0) {
      throw new IllegalArgumentException(
          "budget limit must be a positive USD amount, was " + limitUsd);
    }
    thresholds = thresholds.stream().sorted(Comparator.comparing(Threshold::percent)).toList();
    if (thresholds.isEmpty()) {
      throw new IllegalArgumentException(
          "budget '" + name + "' needs at least one threshold, e.g. 100:block");
    }
  }
}
