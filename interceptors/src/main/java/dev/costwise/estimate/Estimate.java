package dev.costwise.estimate;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * A cost estimate for one run of a workflow type: low, expected and high in total, per step and per
 * model, how each step was estimated ({@code rule}, {@code notes}), and a budget verdict when a
 * {@link BudgetFit} applies. {@code estimateId} and {@code createdAt} are set once saved. Totals
 * are the sums of the steps' figures, unpriced steps excluded (counted in {@code unpricedSteps}).
 *
 * @param planSource where the plan came from: {@code request}, {@code registered} or {@code none}
 */
public record Estimate(
    String estimateId,
    String workflowType,
    String workflowId,
    String runId,
    BigDecimal lowUsd,
    BigDecimal expectedUsd,
    BigDecimal highUsd,
    List<StepEstimate> steps,
    List<ModelEstimate> byModel,
    int unpricedSteps,
    String planSource,
    String rule,
    List<String> notes,
    BudgetVerdict budget,
    Instant createdAt) {

  /** This estimate with a budget verdict. */
  public Estimate withBudget(BudgetVerdict verdict) {
    return new Estimate(
        estimateId,
        workflowType,
        workflowId,
        runId,
        lowUsd,
        expectedUsd,
        highUsd,
        steps,
        byModel,
        unpricedSteps,
        planSource,
        rule,
        notes,
        verdict,
        createdAt);
  }

  /** This estimate as saved. */
  public Estimate saved(String id, Instant at) {
    return new Estimate(
        id,
        workflowType,
        workflowId,
        runId,
        lowUsd,
        expectedUsd,
        highUsd,
        steps,
        byModel,
        unpricedSteps,
        planSource,
        rule,
        notes,
        budget,
        at);
  }
}
