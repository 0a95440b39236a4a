package dev.costwise.report;

import java.math.BigDecimal;
import java.time.LocalDate;

/**
 * Cost in one period bucket for one group (a model, a tenant, ...), summed exactly from the daily
 * rollup. {@code group} is {@code ""} for lines without that dimension (e.g. no tenant tag).
 */
public record PeriodTotal(
    LocalDate periodStart,
    String group,
    BigDecimal costUsd,
    long usageCount,
    long unpricedUsageCount,
    long inputTokens,
    long outputTokens,
    long images,
    BigDecimal videoSeconds,
    long characters,
    BigDecimal audioSeconds) {}
