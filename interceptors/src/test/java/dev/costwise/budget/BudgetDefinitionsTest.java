package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Periods, scopes, thresholds and limits as users write them. */
class BudgetDefinitionsTest {
  private static final Instant THURSDAY = Instant.parse("2026-11-26T17:45:00Z");

  @Test
  void periodsStartAtUtcMidnightMondayAndTheFirst() {
    assertThat(BudgetPeriod.DAILY.start(THURSDAY)).isEqualTo(Instant.parse("2026-11-26T00:00:00Z"));
    assertThat(BudgetPeriod.DAILY.end(THURSDAY)).isEqualTo(Instant.parse("2026-11-27T00:00:00Z"));
    assertThat(BudgetPeriod.WEEKLY.start(THURSDAY))
        .isEqualTo(Instant.parse("2026-11-23T00:00:00Z"));
    assertThat(BudgetPeriod.WEEKLY.end(THURSDAY)).isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
    assertThat(BudgetPeriod.MONTHLY.start(THURSDAY))
        .isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
    assertThat(BudgetPeriod.MONTHLY.end(THURSDAY)).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
  }

  @Test
  void scopesParseAndCoverTheRunsTheyName() {
    BudgetScope tag = BudgetScope.parse("tag=tenant:acme");
    assertThat(tag).isEqualTo(BudgetScope.tag("tenant", "acme"));
    assertThat(tag.covers("Any", "q", Map.of("tenant", "acme"))).isTrue();
    assertThat(tag.covers("Any", "q", Map.of("tenant", "other"))).isFalse();
    assertThat(BudgetScope.parse("workflow-type=Research").covers("Research", "q", Map.of()))
        .isTrue();
    assertThat(BudgetScope.parse("task-queue=gpu").covers("Research", "cpu", Map.of())).isFalse();
    assertThatThrownBy(() -> BudgetScope.parse("tag=tenant"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tag=<name>:<value>");
  }

  @Test
  void thresholdsAreExactPercentagesOfTheLimit() {
    Threshold t = Threshold.parse("80%:notify");
    assertThat(t.action()).isEqualTo(Threshold.Action.NOTIFY);
    assertThat(t.amount(new BigDecimal("0.96"))).isEqualByComparingTo("0.768");
    assertThat(t.label()).isEqualTo("80%");
    assertThat(Threshold.parse("100:BLOCK").action()).isEqualTo(Threshold.Action.BLOCK);
    assertThatThrownBy(() -> Threshold.parse("100:shout"))
        .hasMessageContaining("<percent>:notify or <percent>:block");
    PeriodBudget b =
        new PeriodBudget(
            "b",
            BudgetPeriod.DAILY,
            BudgetScope.taskQueue("q"),
            BigDecimal.ONE,
            List.of(Threshold.parse("100:block"), Threshold.parse("80:notify")));
    assertThat(b.thresholds()).extracting(Threshold::label).containsExactly("80%", "100%");
  }

  @Test
  void limitsComeFromTheMemoAndFallBackToDefaultsOneByOne() {
    ExecutionLimits memo = ExecutionLimits.fromMap(Map.of("hardUsd", 3));
    ExecutionLimits merged = memo.orElse(ExecutionLimits.of("1.00", "2.00"));
    assertThat(merged.softUsd()).isEqualByComparingTo("1.00");
    assertThat(merged.hardUsd()).isEqualByComparingTo("3");
    assertThatThrownBy(() -> ExecutionLimits.fromMap(Map.of("softUsd", "lots")))
        .hasMessageContaining("costwise.budget.softUsd must be a decimal USD amount");
    assertThatThrownBy(() -> ExecutionLimits.of("2", "1")).hasMessageContaining("above hard limit");
  }
}
