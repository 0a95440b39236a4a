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
  public BudgetSettlement[] settleAll(BudgetSettleRequest[] requests) {
    BudgetSettlement[] answers = new BudgetSettlement[requests.length];
    java.math.BigDecimal spent = null;
    for (int i = 0; i < requests.length; i++) {
      BudgetSettleRequest r = spent == null ? requests[i] : requests[i].withOwnSpentUsd(spent);
      answers[i] = policy.settle(r);
      spent =
          (r.ownSpentUsd() == null ? java.math.BigDecimal.ZERO : r.ownSpentUsd())
              .add(answers[i].activityUsd());
    }
    return answers;
  }

  @Override
  public void refused(BudgetRefusal refusal) {
    policy.refused(refusal);
  }
}
