package dev.costwise.budget;

/** The registered form of {@link Budgets#check}. */
final class BudgetCheckActivityImpl implements BudgetCheckActivity {
  private final BudgetPolicy policy;

  BudgetCheckActivityImpl(BudgetPolicy policy) {
    this.policy = policy;
  }

  @Override
  public RunCost check(BudgetCheckRequest request) {
    return policy.check(request);
  }

  @Override
  public BudgetSettlement settle(BudgetSettleRequest request) {
    return policy.settle(request);
  }

  @Override
  public void refused(BudgetRefusal refusal) {
    policy.refused(refusal);
  }
}
