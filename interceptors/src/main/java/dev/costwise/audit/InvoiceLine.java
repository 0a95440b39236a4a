package dev.costwise.audit;

import java.math.BigDecimal;
import java.time.LocalDate;

/**
 * One line of a provider's exported cost: a UTC day, a model and what the provider billed, with
 * token counts when the export carries them (else -1).
 */
public record InvoiceLine(
    LocalDate day, String model, BigDecimal costUsd, long inputTokens, long outputTokens) {}
