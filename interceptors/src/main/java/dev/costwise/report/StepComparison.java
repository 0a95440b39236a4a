package dev.costwise.report;

import java.math.BigDecimal;

/**
 * One step of an execution (an activity type and model): what was estimated, what was recorded, and
 * the variance (actual minus expected). Estimate fields are null for steps nobody estimated; actual
 * is zero for estimated steps that never ran.
 *
 * @param attempts recorded attempts of this step (retries and repeats each count)
 * @param source where the estimate came from (PLAN, HISTORY, UNPRICED; MIXED when plan lines of one
 *     step differ) or null when the step was not estimated
 */
public record StepComparison(
    String activityType,
    String provider,
    String model,
    long attempts,
    BigDecimal actualUsd,
    long unpricedUsageCount,
    String source,
    BigDecimal estimatedLowUsd,
    BigDecimal estimatedUsd,
    BigDecimal estimatedHighUsd,
    BigDecimal varianceUsd) {}
