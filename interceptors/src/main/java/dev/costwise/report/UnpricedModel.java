package dev.costwise.report;

import java.time.Instant;

/**
 * A model whose usage could not be priced over a period: how many records, in how many runs, first
 * and last seen, and one reason given.
 */
public record UnpricedModel(
    String provider,
    String model,
    long unpricedUsageCount,
    long runs,
    Instant firstSeen,
    Instant lastSeen,
    String reason) {}
