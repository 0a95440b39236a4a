package dev.costwise.budget;

import dev.costwise.pricing.CatalogVersion;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * The budget service's answer to a {@link BudgetSettleRequest}, recorded in history.
 *
 * @param activityUsd what the settled activity cost, all its attempts (zero when none was settled)
 * @param activityByModel that cost per priced model
 * @param activityUnpriced usage lines of the activity that could not be priced
 * @param scopeSpentUsd spend read from the store per requested scope (chain run id)
 * @param budgets the period budgets covering the run, with their spend this period
 * @param expected expected cost per requested activity type
 * @param notes how the figures were obtained, when the reader should know (an outage, a guess)
 * @param activityCatalogs the catalog versions the settled activity's lines were priced with; empty
 *     in settlements recorded before versions were carried
 */
public record BudgetSettlement(
    BigDecimal activityUsd,
    Map<String, BigDecimal> activityByModel,
    int activityUnpriced,
    Map<String, BigDecimal> scopeSpentUsd,
    List<BudgetUtilisation> budgets,
    Map<String, ExpectedCost> expected,
    List<String> notes,
    List<CatalogVersion> activityCatalogs) {

  /** A settlement without catalog versions. */
  public BudgetSettlement(
      BigDecimal activityUsd,
      Map<String, BigDecimal> activityByModel,
      int activityUnpriced,
      Map<String, BigDecimal> scopeSpentUsd,
      List<BudgetUtilisation> budgets,
      Map<String, ExpectedCost> expected,
      List<String> notes) {
    this(
        activityUsd,
        activityByModel,
        activityUnpriced,
        scopeSpentUsd,
        budgets,
        expected,
        notes,
        null);
  }

  /** Copies; nulls become empty. */
  public BudgetSettlement {
    activityUsd = activityUsd == null ? BigDecimal.ZERO : activityUsd;
    activityByModel = activityByModel == null ? Map.of() : Map.copyOf(activityByModel);
    scopeSpentUsd = scopeSpentUsd == null ? Map.of() : Map.copyOf(scopeSpentUsd);
    budgets = budgets == null ? List.of() : List.copyOf(budgets);
    expected = expected == null ? Map.of() : Map.copyOf(expected);
    notes = notes == null ? List.of() : List.copyOf(notes);
    activityCatalogs = activityCatalogs == null ? List.of() : List.copyOf(activityCatalogs);
  }
}
