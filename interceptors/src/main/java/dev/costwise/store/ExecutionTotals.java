package dev.costwise.store;

import java.math.BigDecimal;
import java.time.Instant;

/** One row of {@code cost_execution}: the running totals of one workflow run. */
public record ExecutionTotals(
    String runId,
    String namespace,
    String workflowId,
    String workflowType,
    String taskQueue,
    String tags,
    BigDecimal costUsd,
    long inputTokens,
    long outputTokens,
    long cacheReadTokens,
    long cacheWriteTokens,
    long reasoningTokens,
    long images,
    BigDecimal videoSeconds,
    long characters,
    BigDecimal audioSeconds,
    int usageCount,
    int unpricedUsageCount,
    Instant firstRecordedAt,
    Instant lastRecordedAt) {}
