package dev.costwise.report;

import java.math.BigDecimal;
import java.time.Instant;

/** One run's recorded total, as lists of runs show it. */
public record RunTotal(
    String runId,
    String workflowId,
    String workflowType,
    BigDecimal costUsd,
    long usageCount,
    long unpricedUsageCount,
    Instant firstRecordedAt,
    Instant lastRecordedAt) {}
