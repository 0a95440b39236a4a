package dev.costwise.budget;

/** The registered form of {@link Budgets#check}. */
final class BudgetCheckActivityImpl implements BudgetCheckActivity {
  private final Budgets budgets;

  BudgetCheckActivityImpl(Budgets budgets) {
    this.budgets = budgets;
  }

  @Override
  public CostReport check(BudgetCheckRequest request) {
    return budgets.check(request);
  }
}
