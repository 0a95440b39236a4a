package dev.costwise.store;

import dev.costwise.usage.UsageCounts;
import java.math.BigDecimal;
import java.time.Instant;
import org.jdbi.v3.core.mapper.Nested;

/**
 * One row of {@code cost_execution}: the running totals of one workflow run, amounts in {@link
 * #counts()}.
 */
public record ExecutionTotals(
    String runId,
    String namespace,
    String workflowId,
    String workflowType,
    String taskQueue,
    String tags,
    BigDecimal costUsd,
    @Nested UsageCounts counts,
    int usageCount,
    int unpricedUsageCount,
    Instant firstRecordedAt,
    Instant lastRecordedAt) {}
