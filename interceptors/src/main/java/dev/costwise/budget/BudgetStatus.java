package dev.costwise.budget;

/** Where a run stands against its limits and the period budgets that cover it. */
public enum BudgetStatus {
  /** Below every soft limit and notify threshold. */
  OK,
  /** A soft limit or a notify threshold has been crossed; work goes on. */
  WARNING,
  /**
   * A blocking period budget covering the run has reached its threshold: the run's next
   * cost-bearing activity fails with {@value BudgetExceeded#TYPE}.
   */
  BLOCKED,
  /** The hard limit is crossed or new work was blocked by a period budget; the run fails. */
  EXCEEDED
}
