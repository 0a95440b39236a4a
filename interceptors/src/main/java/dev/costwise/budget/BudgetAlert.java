package dev.costwise.budget;

import java.math.BigDecimal;
import java.time.Instant;
import org.jdbi.v3.core.mapper.reflect.JdbiConstructor;

/**
 * One threshold crossing, or one refusal, stored once and sent once.
 *
 * @param subject {@code budget:<name>} for a period budget, {@code run:<run id>} for a run's limit
 * @param threshold {@code 80%} for a period threshold, {@code soft} or {@code hard} for a run
 *     limit, {@code refused:<limit>} for an activity refused before running (the limit as in {@link
 *     BudgetExceeded.Details#limit})
 * @param periodStart start of the budget period (the epoch for run limits)
 * @param action {@code NOTIFY}, {@code BLOCK}, {@code FAIL} (a run's hard limit) or {@code REFUSE}
 *     (an activity refused before running)
 * @param spentUsd spend at the crossing; for a refusal, what was spent or reserved against the
 *     limit
 * @param activityType for a refusal, the refused activity's type; else null
 * @param expectedUsd for a refusal, the refused activity's expected cost; else null
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
    Instant createdAt,
    String activityType,
    BigDecimal expectedUsd) {

  /** Action of an alert recording an activity refused before running. */
  public static final String REFUSE = "REFUSE";

  /** Prefix of {@link #threshold} for a refusal. */
  public static final String REFUSED = "refused:";

  /** Every field. */
  @JdbiConstructor
  public BudgetAlert {}

  /** A threshold crossing: no refused activity. */
  public BudgetAlert(
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
      Instant createdAt) {
    this(
        subject,
        threshold,
        periodStart,
        level,
        action,
        spentUsd,
        limitUsd,
        runId,
        workflowId,
        workflowType,
        createdAt,
        null,
        null);
  }

  /** Whether this records an activity refused before running, rather than a crossing. */
  public boolean refusal() {
    return REFUSE.equals(action);
  }
}
