package dev.costwise.temporal;

import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.RunCost;
import dev.costwise.temporal.internal.BudgetGuard;
import java.math.BigDecimal;

/**
 * Budget calls for workflow code. None is needed: with budgets configured every run is checked
 * after each activity. Call {@link #check} to fail before an expensive step rather than after it.
 */
public final class CostBudget {
  /**
   * Name of the query every run answers with its {@link RunCost}: {@code temporal workflow query
   * --type cost}.
   */
  public static final String QUERY = BudgetGuard.QUERY;

  private CostBudget() {}

  /**
   * From workflow code: checks that spending {@code estimateUsd} more would keep the run within its
   * hard limit and every blocking period budget covering it, and returns the run's report. The
   * check is a local activity, recorded in history.
   *
   * @throws io.temporal.failure.ApplicationFailure of type {@value BudgetExceeded#TYPE}
   *     (non-retryable) when it would not; thrown out of the workflow method it fails the run,
   *     caught it lets the workflow choose a cheaper path
   * @throws IllegalStateException when called outside a workflow run by a worker with Costwise's
   *     interceptor
   */
  public static RunCost check(BigDecimal estimateUsd) {
    if (estimateUsd == null || estimateUsd.signum() < 0) {
      throw new IllegalArgumentException("estimateUsd must be zero or more, was " + estimateUsd);
    }
    return guard().checkBefore(estimateUsd);
  }

  /** From workflow code: the run's report as of its latest check, without running one. */
  public static RunCost report() {
    return guard().latest();
  }

  private static BudgetGuard guard() {
    BudgetGuard guard = BudgetGuard.current();
    if (guard == null) {
      throw new IllegalStateException(
          "CostBudget works only inside a workflow run on a worker with CostTracking.workerInterceptor() registered");
    }
    return guard;
  }
}
