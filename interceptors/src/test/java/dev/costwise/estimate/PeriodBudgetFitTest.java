package dev.costwise.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.budget.BudgetPeriod;
import dev.costwise.budget.BudgetScope;
import dev.costwise.budget.Budgets;
import dev.costwise.budget.PeriodBudget;
import dev.costwise.budget.Threshold;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/** An estimate checked against period budgets stored in real PostgreSQL. */
class PeriodBudgetFitTest {
  @Test
  void saysWhetherTheEstimateFitsWhatIsLeftOfTheTightestBudgetOfItsType() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    Budgets budgets = new Budgets(jdbi);
    CostEstimator estimator = new CostEstimator(jdbi, Pricer.of(CatalogSource.bundledCatalog()));
    PeriodBudgetFit fit = new PeriodBudgetFit(budgets);
    // 4 hd 1024x1792 dall-e-3 images: 4 x 0.12 = 0.48
    Estimate estimate =
        estimator.estimate(
            EstimateRequest.of(
                "Storyboard",
                List.of(
                    PlannedCall.of(
                        "Draw",
                        Usage.of("openai", "dall-e-3").images(1, "1024x1792", "hd").build(),
                        4))));
    assertThat(estimate.expectedUsd()).isEqualByComparingTo("0.48");

    assertThat(fit.verdict(estimate)).as("no budget covers the type").isEmpty();

    budgets.create(
        new PeriodBudget(
            "storyboard-monthly",
            BudgetPeriod.MONTHLY,
            BudgetScope.workflowType("Storyboard"),
            new BigDecimal("100"),
            List.of(Threshold.parse("100:block"))));
    budgets.create(
        new PeriodBudget(
            "storyboard-daily",
            BudgetPeriod.DAILY,
            BudgetScope.workflowType("Storyboard"),
            new BigDecimal("0.40"),
            List.of(Threshold.parse("100:block"))));
    budgets.create(
        new PeriodBudget(
            "other-daily",
            BudgetPeriod.DAILY,
            BudgetScope.workflowType("Other"),
            new BigDecimal("0.01"),
            List.of(Threshold.parse("100:block"))));

    BudgetVerdict verdict = fit.verdict(estimate).orElseThrow();
    assertThat(verdict.budget()).isEqualTo("storyboard-daily");
    assertThat(verdict.fits()).isFalse();
    assertThat(verdict.remainingUsd()).isEqualByComparingTo("0.40");
    assertThat(verdict.message())
        .contains("would exceed the daily budget 'storyboard-daily'", "$0.48", "$0.4 of $0.4");
  }
}
