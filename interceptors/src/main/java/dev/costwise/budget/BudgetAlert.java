package dev.costwise.budget;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One threshold crossing, stored once and sent once.
 *
 * @param subject {@code budget:<name>} for a period budget, {@code run:<run id>} for a run's limit
 * @param threshold {@code 80%} for a period threshold, {@code soft} or {@code hard} for a run limit
 * @param periodStart start of the budget period (the epoch for run limits)
 * @param action {@code NOTIFY}, {@code BLOCK} or {@code FAIL} (a run's hard limit)
 */
public record BudgetAlert(
    String subject,
    String threshold,
    Instant periodStart,
    BudgetStatus level,
    String action,
    BigDecimal spentUsd,
    BigDecimal limitUsd,
    String runId,
    String workflowId,
    String workflowType,
    Instant createdAt) {}
