package dev.costwise.estimate;

import java.math.BigDecimal;

/**
 * What a {@link BudgetFit} says about an estimate.
 *
 * @param budget the budget checked against, for display
 * @param remainingUsd what the budget has left before this run, or null when unknown
 * @param fits whether the estimate's expected cost fits in what remains
 */
public record BudgetVerdict(String budget, BigDecimal remainingUsd, boolean fits, String message) {}
