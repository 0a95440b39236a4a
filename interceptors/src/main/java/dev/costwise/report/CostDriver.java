package dev.costwise.report;

import java.math.BigDecimal;

/**
 * One group's share of the cost over a period, for "what drives our spend" lists.
 *
 * @param sharePercent this group's cost as a percentage of the period's total, to 2 decimals
 */
public record CostDriver(
    String group,
    BigDecimal costUsd,
    BigDecimal sharePercent,
    long usageCount,
    long unpricedUsageCount) {}
