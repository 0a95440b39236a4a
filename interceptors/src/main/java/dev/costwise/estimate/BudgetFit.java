package dev.costwise.estimate;

import java.util.Optional;

/**
 * Extension point for budgets: given a finished estimate, says whether the run it is for fits the
 * applicable budget. The estimate activity calls it after pricing and puts the verdict in the
 * estimate; it never blocks the estimate. The default applies no budget.
 */
@FunctionalInterface
public interface BudgetFit {
  /** Applies no budget. */
  BudgetFit NONE = estimate -> Optional.empty();

  /** The verdict for {@code estimate}, or empty when no budget applies. */
  Optional<BudgetVerdict> verdict(Estimate estimate);
}
