package dev.costwise.report;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * One execution's cost: actual (from the recorded lines), the estimate made for it if any, and the
 * variance, in total and per step. Estimate fields are null when no estimate is linked.
 *
 * @param varianceUsd actual minus expected; positive means the run cost more than estimated
 * @param variancePercent variance as a percentage of the expected cost, to 2 decimals; null when
 *     there is no estimate or it expected nothing
 */
public record ExecutionReport(
    String runId,
    String workflowId,
    String workflowType,
    String tags,
    BigDecimal actualUsd,
    long usageCount,
    long unpricedUsageCount,
    Instant firstRecordedAt,
    Instant lastRecordedAt,
    String estimateId,
    BigDecimal estimatedLowUsd,
    BigDecimal estimatedUsd,
    BigDecimal estimatedHighUsd,
    BigDecimal varianceUsd,
    BigDecimal variancePercent,
    List<StepComparison> steps) {}
