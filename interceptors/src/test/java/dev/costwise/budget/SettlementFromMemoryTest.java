package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The budget service's answer from the worker's memory ({@link BudgetPolicy#settleFromMemory})
 * against its answer through the store ({@link BudgetPolicy#settle}), on a real PostgreSQL: the
 * same figures when memory can answer, and nothing (with nothing changed) when it cannot.
 */
class SettlementFromMemoryTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  // four HD 1024x1792 DALL-E 3 images: $0.48
  private static final Usage DRAW =
      Usage.of("openai", "dall-e-3").images(4, "1024x1792", "hd").build();
  private static Jdbi jdbi;

  private MovableClock clock;
  private Budgets budgets;
  private String runId;

  @BeforeAll
  static void database() {
    jdbi = CostStore.jdbi(TestDatabase.fresh());
  }

  @BeforeEach
  void budgets() {
    clock = new MovableClock(Instant.parse("2026-11-23T10:00:00Z"));
    budgets = new Budgets(jdbi, new CostMetrics(), List.of(), clock);
    runId = UUID.randomUUID().toString();
  }

  /** This worker ran activity {@code activityId} of the run, one completed attempt. */
  private void ranHere(String activityId) {
    AttemptContext ctx =
        new AttemptContext(
            "default",
            "wf-" + runId,
            "Pipeline",
            runId,
            activityId,
            "Draw",
            1,
            "queue",
            clock.instant());
    budgets
        .activityCosts()
        .ended(ctx, Outcome.COMPLETED, List.of(new PricedUsage(DRAW, PRICER.priceLenient(DRAW))));
  }

  private BudgetSettleRequest settling(
      String activityId, ExecutionLimits limits, String spentBefore, List<String> readScopes) {
    return new BudgetSettleRequest(
        runId,
        "wf-" + runId,
        "Pipeline",
        "queue",
        Map.of("tenant", "acme"),
        runId,
        List.of(new LimitScope(runId, limits)),
        readScopes,
        new BigDecimal(spentBefore),
        "Draw",
        activityId,
        List.of(),
        true);
  }

  private BudgetSettleRequest settling(String activityId, String spentBefore) {
    return settling(activityId, ExecutionLimits.NONE, spentBefore, List.of());
  }

  private void dailyBudget() {
    budgets.create(
        new PeriodBudget(
            "pipeline-daily-" + runId,
            BudgetPeriod.DAILY,
            BudgetScope.workflowType("Pipeline"),
            new BigDecimal("1000"),
            List.of(Threshold.parse("80:notify"), Threshold.parse("100:block"))));
  }

  /** The spend of this test's period budget in a settlement (earlier tests' budgets are kept). */
  private BigDecimal periodSpent(BudgetSettlement s) {
    return s.budgets().stream()
        .filter(b -> b.name().equals("pipeline-daily-" + runId))
        .findFirst()
        .orElseThrow()
        .spentUsd();
  }

  @Test
  void answersWhatTheStoreWouldForActivitiesThatRanHere() {
    dailyBudget();
    ranHere("a1");
    ranHere("a2");

    BudgetSettlement viaStore = budgets.settle(settling("a1", "0"));
    BudgetSettlement fromMemory =
        budgets.policy().settleFromMemory(settling("a2", "0.48")).orElseThrow();

    assertThat(fromMemory.activityUsd()).isEqualByComparingTo("0.48");
    assertThat(fromMemory.activityUsd()).isEqualByComparingTo(viaStore.activityUsd());
    assertThat(fromMemory.activityByModel()).isEqualTo(viaStore.activityByModel());
    assertThat(fromMemory.activityCatalogs()).isEqualTo(viaStore.activityCatalogs()).isNotEmpty();
    assertThat(fromMemory.notes()).isEqualTo(viaStore.notes()).isEmpty();
    // both activities ended before the period's spend was read (nothing stored: $0), so the read
    // is taken as covering them
    assertThat(fromMemory.budgets()).isEqualTo(viaStore.budgets());
    assertThat(periodSpent(fromMemory)).isEqualByComparingTo("0");
    assertThat(budgets.activityCosts().whole(runId, "a2")).as("settled, forgotten").isEmpty();
  }

  @Test
  void countsWhatEndedAfterThePeriodWasReadOnceWhicheverWayItIsSettled() {
    dailyBudget();
    ranHere("a1");
    budgets.settle(settling("a1", "0")); // reads the period's spend: $0
    ranHere("a2");
    ranHere("a3");

    BudgetSettlement a2 = budgets.policy().settleFromMemory(settling("a2", "0.48")).orElseThrow();
    BudgetSettlement a3 = budgets.settle(settling("a3", "0.96"));

    assertThat(periodSpent(a2)).isEqualByComparingTo("0.48");
    assertThat(periodSpent(a3))
        .as("a2 counted once, by memory, then a3 by the store's settlement")
        .isEqualByComparingTo("0.96");
  }

  @Test
  void leavesToTheStoreWhatMemoryCannotAnswerAndChangesNothing() {
    dailyBudget();
    ranHere("a1");
    ranHere("a2");
    budgets.settle(settling("a1", "0"));

    assertThat(budgets.policy().settleFromMemory(settling("elsewhere", "0.48")))
        .as("an activity that did not run here")
        .isEmpty();
    assertThat(
            budgets
                .policy()
                .settleFromMemory(
                    settling("a2", ExecutionLimits.NONE, "0.48", List.of("some-root-run"))))
        .as("a tree's spend, which only the store has")
        .isEmpty();

    clock.advance(BudgetPolicy.REFRESH.plusMillis(1));
    assertThat(budgets.policy().settleFromMemory(settling("a2", "0.48")))
        .as("period figures due to be read again")
        .isEmpty();
    assertThat(budgets.activityCosts().whole(runId, "a2")).as("still to be settled").isPresent();

    BudgetSettlement viaStore = budgets.settle(settling("a2", "0.48"));
    assertThat(viaStore.activityUsd()).isEqualByComparingTo("0.48");
  }

  @Test
  void leavesAnAlertThatIsDueToTheStoreAndAnswersOnceItIsStored() {
    ExecutionLimits soft = ExecutionLimits.of("0.50", null);
    ranHere("a1");
    ranHere("a2");
    ranHere("a3");
    budgets.settle(settling("a1", soft, "0", List.of())); // $0.48: under the soft limit

    assertThat(budgets.policy().settleFromMemory(settling("a2", soft, "0.48", List.of())))
        .as("$0.96 crosses the soft limit: the alert must be stored")
        .isEmpty();
    budgets.settle(settling("a2", soft, "0.48", List.of()));
    Optional<BudgetSettlement> a3 =
        budgets.policy().settleFromMemory(settling("a3", soft, "0.96", List.of()));

    assertThat(a3).as("the alert is stored: nothing left for the store to do").isPresent();
    assertThat(budgets.alerts())
        .filteredOn(a -> a.runId().equals(runId))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.threshold()).isEqualTo("soft");
              assertThat(a.spentUsd()).isEqualByComparingTo("0.96");
            });
  }

  @Test
  void answersAnExpectedCostOnlyWhenDeclaredOrRecentlyRead() {
    ranHere("a1");
    budgets.settle(settling("a1", "0")); // reads the budget definitions (none)
    BudgetSettleRequest asking = ExpectedCostQuestion.of(runId, "Pipeline", "Draw");

    assertThat(budgets.policy().settleFromMemory(asking)).as("history not read yet").isEmpty();
    budgets.expect("Draw", new BigDecimal("0.48"));
    assertThat(budgets.policy().settleFromMemory(asking).orElseThrow().expected().get("Draw"))
        .isEqualTo(new ExpectedCost(new BigDecimal("0.48"), ExpectedCost.DECLARED, 0));
  }
}
