package dev.costwise.estimate;

/**
 * Estimate activities over a {@link CostEstimator}, a {@link BudgetFit} and an {@link
 * EstimateStore}.
 */
public final class EstimateActivitiesImpl implements EstimateActivities {
  private final CostEstimator estimator;
  private final BudgetFit budget;
  private final EstimateStore store;

  /** Activities using these parts; pass {@link BudgetFit#NONE} when no budgets are configured. */
  public EstimateActivitiesImpl(CostEstimator estimator, BudgetFit budget, EstimateStore store) {
    this.estimator = estimator;
    this.budget = budget;
    this.store = store;
  }

  @Override
  public Estimate compute(EstimateRequest request) {
    Estimate estimate = estimator.estimate(request);
    return budget.verdict(estimate).map(estimate::withBudget).orElse(estimate);
  }

  @Override
  public Estimate save(Estimate estimate) {
    return store.save(estimate);
  }
}
