package dev.costwise.estimate;

import dev.costwise.budget.BudgetScope;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.budget.Budgets;
import dev.costwise.budget.PeriodBudget;
import dev.costwise.pricing.Money;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Checks an estimate against the period budgets that cover its workflow type: "this run would
 * exceed the daily budget 'x'". Budgets scoped to a task queue or a tag are not consulted, because
 * an estimate request names neither; the verdict is for the tightest matching budget.
 */
public final class PeriodBudgetFit implements BudgetFit {
  private final Budgets budgets;

  /** A check against the period budgets stored with {@code budgets}. */
  public PeriodBudgetFit(Budgets budgets) {
    this.budgets = budgets;
  }

  @Override
  public Optional<BudgetVerdict> verdict(Estimate estimate) {
    Map<String, PeriodBudget> byName =
        budgets.list().stream()
            .filter(
                b ->
                    b.scope().kind() == BudgetScope.Kind.WORKFLOW_TYPE
                        && b.scope().value().equals(estimate.workflowType()))
            .collect(Collectors.toMap(PeriodBudget::name, Function.identity()));
    if (byName.isEmpty()) {
      return Optional.empty();
    }
    List<BudgetUtilisation> covering =
        budgets.utilisation().stream().filter(u -> byName.containsKey(u.name())).toList();
    return covering.stream()
        .min(Comparator.comparing(u -> u.limitUsd().subtract(u.spentUsd())))
        .map(u -> verdict(u, estimate.expectedUsd()));
  }

  private static BudgetVerdict verdict(BudgetUtilisation u, BigDecimal expected) {
    BigDecimal remaining = u.limitUsd().subtract(u.spentUsd()).max(BigDecimal.ZERO);
    boolean fits = expected.compareTo(remaining) <= 0;
    String period = u.period().name().toLowerCase(java.util.Locale.ROOT);
    String message =
        fits
            ? "fits the "
                + period
                + " budget '"
                + u.name()
                + "': $"
                + Money.plain(remaining)
                + " left of $"
                + Money.plain(u.limitUsd())
            : "this run would exceed the "
                + period
                + " budget '"
                + u.name()
                + "': expected $"
                + Money.plain(expected)
                + " but only $"
                + Money.plain(remaining)
                + " of $"
                + Money.plain(u.limitUsd())
                + " is left this period";
    return new BudgetVerdict(u.name(), remaining, fits, message);
  }
}
