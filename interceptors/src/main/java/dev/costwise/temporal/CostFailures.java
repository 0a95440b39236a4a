package dev.costwise.temporal;

import dev.costwise.budget.BudgetExceeded;

/**
 * The types of the non-retryable failures Costwise ends an activity or a run with, for code that
 * catches {@code ApplicationFailure} and compares {@code getType()}.
 */
public final class CostFailures {
  /** A limit was exceeded or a blocking budget refused the work; see {@link BudgetExceeded}. */
  public static final String BUDGET_EXCEEDED = BudgetExceeded.TYPE;

  /** Strict pricing: an attempt used a model the catalog cannot price. */
  public static final String UNKNOWN_MODEL = "UnknownModel";

  /** The run's memo holds limits or tags Costwise cannot use; the message names key and problem. */
  public static final String INVALID_SETTINGS = "InvalidCostSettings";

  private CostFailures() {}
}
