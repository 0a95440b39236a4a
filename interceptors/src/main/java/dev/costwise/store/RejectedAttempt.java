package dev.costwise.store;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * An attempt whose rows PostgreSQL rejected as data. Its cost is stored in {@code cost_step} with
 * the offending text made storable; {@code original} is the rows as they were recorded (JSON).
 */
public record RejectedAttempt(
    long id,
    String runId,
    String activityId,
    int attempt,
    BigDecimal costUsd,
    String reason,
    Instant rejectedAt,
    Instant resolvedAt,
    String original) {}
