package dev.costwise.budget;

import dev.costwise.pricing.Money;
import io.temporal.failure.ApplicationFailure;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * The failure a run ends with when it crosses its hard limit or a blocking period budget: a
 * non-retryable {@link ApplicationFailure} of type {@value #TYPE} whose details are one {@link
 * Details}.
 */
public final class BudgetExceeded {
  /** The {@code ApplicationFailure} type. */
  public static final String TYPE = "BudgetExceeded";

  private BudgetExceeded() {}

  /**
   * What was exceeded.
   *
   * @param limit {@code "hard"} for the run's hard limit, else {@code "budget:<name>"}
   * @param limitUsd the limit (for a period budget, the amount of its blocking threshold)
   * @param spentUsd what had been spent (the run's total, or the period's) when the check ran
   * @param estimateUsd the cost about to be spent, for an explicit check before spending; else zero
   * @param activityType the activity whose completion crossed the limit, or that was blocked
   * @param activityId its id, or null for an explicit {@code CostBudget.check} or an activity
   *     refused before it was scheduled
   * @param refused whether the activity was refused before running: its expected cost, reserved
   *     with what the run had spent and reserved, would have crossed the limit; nothing was spent
   */
  public record Details(
      String limit,
      BigDecimal limitUsd,
      BigDecimal spentUsd,
      BigDecimal estimateUsd,
      String activityType,
      String activityId,
      boolean refused) {

    /** Details of a limit crossed (or blocked) by work that ran. */
    public Details(
        String limit,
        BigDecimal limitUsd,
        BigDecimal spentUsd,
        BigDecimal estimateUsd,
        String activityType,
        String activityId) {
      this(limit, limitUsd, spentUsd, estimateUsd, activityType, activityId, false);
    }
  }

  /** Prefix of {@link Details#limit} for a limit set on an ancestor run, covering its tree. */
  public static final String TREE = "tree:";

  /** Prefix of {@link Details#limit} for a period budget. */
  public static final String BUDGET = "budget:";

  /** The failure for {@code details}. */
  public static ApplicationFailure failure(Details details) {
    String spent = Objects.toString(Money.plain(details.spentUsd()), "?");
    String limit = Objects.toString(Money.plain(details.limitUsd()), "?");
    String subject =
        details.limit().equals("hard")
            ? "Run"
            : details.limit().startsWith(TREE)
                ? "Tree of run " + details.limit().substring(TREE.length())
                : "Period " + details.limit();
    String message;
    if (details.refused()) {
      message =
          "Refused before running: "
              + subject
              + " has $"
              + spent
              + " spent or reserved, and $"
              + Objects.toString(Money.plain(details.estimateUsd()), "?")
              + " expected would cross "
              + (details.limit().startsWith(BUDGET) ? "its blocking threshold" : "its hard limit")
              + " of $"
              + limit;
    } else if (details.limit().startsWith(BUDGET)) {
      message =
          subject
              + " has spent $"
              + spent
              + " of its blocking threshold $"
              + limit
              + "; new cost-bearing work is blocked";
    } else {
      message = subject + " spent $" + spent + ", over its hard limit of $" + limit;
    }
    String estimate =
        details.refused() || details.estimateUsd() == null || details.estimateUsd().signum() == 0
            ? ""
            : " with $" + Money.plain(details.estimateUsd()) + " about to be spent";
    String where =
        details.activityType() == null
            ? ""
            : " ("
                + details.activityType()
                + (details.activityId() == null ? "" : " " + details.activityId())
                + ")";
    return ApplicationFailure.newNonRetryableFailure(message + estimate + where, TYPE, details);
  }
}
