package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a period budget counts as spent, for every scope kind, against hand-computed sums: only
 * priced lines recorded inside the period, of runs in scope.
 */
class BudgetSpendTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static final Instant NOW = Instant.parse("2026-11-18T15:00:00Z"); // a Wednesday
  private final AtomicInteger ids = new AtomicInteger();

  /** gpt-4o, 1000 input tokens: $0.0025. */
  private static Usage chat() {
    return Usage.of("openai", "gpt-4o").inputTokens(1_000).build();
  }

  private void record(
      CostStore store,
      String type,
      String queue,
      Map<String, String> tags,
      Instant at,
      Usage... usage) {
    String run = "run-" + ids.incrementAndGet();
    List<PricedUsage> lines =
        java.util.Arrays.stream(usage)
            .map(u -> new PricedUsage(u, PRICER.priceLenient(u)))
            .toList();
    store.record(
        new AttemptCost(
            new AttemptContext("default", "wf-" + run, type, run, "1", "Chat", 1, queue, at),
            Outcome.COMPLETED,
            lines,
            tags,
            at));
  }

  private static BigDecimal spent(Budgets budgets, String name) {
    return budgets.utilisation().stream()
        .filter(u -> u.name().equals(name))
        .findFirst()
        .orElseThrow()
        .spentUsd();
  }

  @Test
  void eachScopeCountsPricedSpendOfItsRunsInsideThePeriod() {
    CostStore store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    Budgets budgets =
        new Budgets(store.jdbi(), new CostMetrics(), List.of(), Clock.fixed(NOW, ZoneOffset.UTC));
    Map<String, String> acme = Map.of("tenant", "acme", "department", "video");
    Map<String, String> globex = Map.of("tenant", "globex", "department", "video");

    record(
        store, "Pipeline", "media", acme, NOW.minusSeconds(3600), chat(), chat()); // today: 0.005
    record(
        store,
        "Pipeline",
        "media",
        globex,
        Instant.parse("2026-11-18T00:00:00Z"),
        chat()); // today at midnight: 0.0025
    record(
        store,
        "Pipeline",
        "media",
        acme,
        Instant.parse("2026-11-17T23:59:59Z"),
        chat()); // yesterday, this week: 0.0025
    record(
        store,
        "Pipeline",
        "media",
        acme,
        Instant.parse("2026-11-02T10:00:00Z"),
        chat()); // this month, earlier week: 0.0025
    record(
        store,
        "Report",
        "batch",
        acme,
        NOW.minusSeconds(60),
        chat(),
        Usage.of("acme", "not-a-model").inputTokens(99).build()); // today: 0.0025 + unpriced

    for (PeriodBudget b :
        List.of(
            new PeriodBudget(
                "type-day",
                BudgetPeriod.DAILY,
                BudgetScope.workflowType("Pipeline"),
                BigDecimal.ONE,
                List.of(Threshold.parse("100:notify"))),
            new PeriodBudget(
                "type-week",
                BudgetPeriod.WEEKLY,
                BudgetScope.workflowType("Pipeline"),
                BigDecimal.ONE,
                List.of(Threshold.parse("100:notify"))),
            new PeriodBudget(
                "type-month",
                BudgetPeriod.MONTHLY,
                BudgetScope.workflowType("Pipeline"),
                BigDecimal.ONE,
                List.of(Threshold.parse("100:notify"))),
            new PeriodBudget(
                "queue-day",
                BudgetPeriod.DAILY,
                BudgetScope.taskQueue("batch"),
                BigDecimal.ONE,
                List.of(Threshold.parse("100:notify"))),
            new PeriodBudget(
                "acme-day",
                BudgetPeriod.DAILY,
                BudgetScope.tag("tenant", "acme"),
                BigDecimal.ONE,
                List.of(Threshold.parse("100:notify"))),
            new PeriodBudget(
                "acme-month",
                BudgetPeriod.MONTHLY,
                BudgetScope.tag("tenant", "acme"),
                BigDecimal.ONE,
                List.of(Threshold.parse("100:notify"))),
            new PeriodBudget(
                "video-day",
                BudgetPeriod.DAILY,
                BudgetScope.tag("department", "video"),
                BigDecimal.ONE,
                List.of(Threshold.parse("100:notify"))))) {
      budgets.create(b);
    }

    assertThat(spent(budgets, "type-day")).isEqualByComparingTo("0.0075");
    assertThat(spent(budgets, "type-week")).isEqualByComparingTo("0.01");
    assertThat(spent(budgets, "type-month")).isEqualByComparingTo("0.0125");
    assertThat(spent(budgets, "queue-day")).isEqualByComparingTo("0.0025");
    assertThat(spent(budgets, "acme-day")).isEqualByComparingTo("0.0075");
    assertThat(spent(budgets, "acme-month")).isEqualByComparingTo("0.0125");
    assertThat(spent(budgets, "video-day"))
        .isEqualByComparingTo("0.01"); // any other tag: summed from the steps
  }
}
