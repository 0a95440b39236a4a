package dev.costwise.estimate;

import java.math.BigDecimal;

/**
 * The estimate of one step: calls of an activity type to one model. Per-call figures times the
 * number of calls give the step's low, expected and high (low uses the fewest calls declared, high
 * the most). Money fields are null for an {@link EstimateSource#UNPRICED} step.
 *
 * @param calls expected calls per run: the plan's repeat, or for history alone, recorded attempts
 *     per run
 * @param samples recorded attempts the history figures come from (0 when none were used)
 */
public record StepEstimate(
    String activityType,
    String provider,
    String model,
    EstimateSource source,
    BigDecimal calls,
    long samples,
    BigDecimal perCallLowUsd,
    BigDecimal perCallExpectedUsd,
    BigDecimal perCallHighUsd,
    BigDecimal lowUsd,
    BigDecimal expectedUsd,
    BigDecimal highUsd,
    String note) {}
