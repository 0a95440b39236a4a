package dev.costwise.budget;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * How much of a period budget the current period has used.
 *
 * @param percent spent as a percentage of the limit, two decimals
 * @param reached the highest threshold reached, e.g. {@code 80%}, or null
 * @param blocking whether a blocking threshold is reached
 * @param blockAtUsd the amount of the budget's lowest blocking threshold, or null when it has none
 *     (absent from reports recorded before it was added)
 */
public record BudgetUtilisation(
    String name,
    BudgetPeriod period,
    String scope,
    Instant periodStart,
    BigDecimal limitUsd,
    BigDecimal spentUsd,
    BigDecimal percent,
    String reached,
    boolean blocking,
    BigDecimal blockAtUsd) {}
