package dev.costwise.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.BudgetStatus;
import dev.costwise.budget.RunCost;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RunSummaryTest {
  private static RunCost cost(Map<String, BigDecimal> byModel, BudgetExceeded.Details exceeded) {
    return new RunCost(
        "run-1",
        new BigDecimal("1.234567"),
        new BigDecimal("1"),
        new BigDecimal("2"),
        exceeded == null ? BudgetStatus.WARNING : BudgetStatus.EXCEEDED,
        byModel,
        Map.of("Write", new BigDecimal("1.234567")),
        List.of(),
        exceeded,
        List.of());
  }

  @Test
  void namesTheTopThreeModelsByCostAndCountsTheRest() {
    Map<String, BigDecimal> byModel = new LinkedHashMap<>();
    byModel.put("small", new BigDecimal("0.01"));
    byModel.put("big", new BigDecimal("0.90"));
    byModel.put("mid-b", new BigDecimal("0.10"));
    byModel.put("mid-a", new BigDecimal("0.10"));
    byModel.put("tiny", new BigDecimal("0.000001"));

    String s = RunSummary.of(cost(byModel, null), new BigDecimal("3.5"), null);

    assertThat(s)
        .isEqualTo(
            "**Cost $1.23** · WARNING · soft $1.00 · hard $2.00\n"
                + "Subtree $3.50 (this run and its children)\n"
                + "Models: big $0.9000 · mid-a $0.1000 · mid-b $0.1000 · +2 more\n"
                + "Activities: Write $1.23");
  }

  @Test
  void sameInputsInAnyMapOrderRenderTheSameText() {
    Map<String, BigDecimal> a = new LinkedHashMap<>();
    a.put("x", BigDecimal.ONE);
    a.put("y", BigDecimal.ONE);
    Map<String, BigDecimal> b = new TreeMap<>(java.util.Comparator.reverseOrder());
    b.putAll(a);
    assertThat(RunSummary.of(cost(a, null), null, null))
        .isEqualTo(RunSummary.of(cost(b, null), null, null));
  }

  @Test
  void staysBoundedAndEscapesMarkdownInNames() {
    Map<String, BigDecimal> byModel = new LinkedHashMap<>();
    for (int i = 0; i < 50; i++) {
      byModel.put("*model*_[" + i + "]" + "x".repeat(300), BigDecimal.valueOf(i));
    }
    RunCost c =
        cost(
            byModel,
            new BudgetExceeded.Details(
                "hard", new BigDecimal("2"), new BigDecimal("2.5"), BigDecimal.ZERO, "Draw", "7"));
    c = c.withNotes(List.of("n".repeat(1000)));

    String s = RunSummary.of(c, null, new RunSummary.EstimateLink("e".repeat(255), BigDecimal.ONE));

    assertThat(s.length()).isLessThanOrEqualTo(RunSummary.MAX_CHARS);
    assertThat(s).contains("Exceeded: hard limit $2.00 after Draw");
    assertThat(s).contains("\\*model\\*\\_\\[49\\]").doesNotContain("x".repeat(50));
  }

  @Test
  void aRunWithoutBudgetsOrEstimateHasNothingToSay() {
    assertThat(RunSummary.unchecked(null, List.of())).isNull();
    assertThat(RunSummary.unchecked(null, List.of("settings replaced")))
        .contains("budget checks off")
        .contains("Note: settings replaced");
  }

  @Test
  void estimateLinksAreCheckedAndReadLenientlyFromTheMemo() {
    assertThatThrownBy(() -> new RunSummary.EstimateLink(" ", null))
        .hasMessageContaining("must not be blank");
    assertThat(RunSummary.estimateFromMemo(Map.of("id", "e-1", "expectedUsd", "0.5")))
        .isEqualTo(new RunSummary.EstimateLink("e-1", new BigDecimal("0.5")));
    assertThat(RunSummary.estimateFromMemo(Map.of("id", "e-1", "expectedUsd", "lots"))).isNull();
    assertThat(RunSummary.estimateFromMemo("e-1")).isNull();
  }
}
