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
   * @param activityId its id, or null for an explicit {@code CostBudget.check}
   */
  public record Details(
      String limit,
      BigDecimal limitUsd,
      BigDecimal spentUsd,
      BigDecimal estimateUsd,
      String activityType,
      String activityId) {}

  /** The failure for {@code details}. */
  public static ApplicationFailure failure(Details details) {
    String message =
        details.limit().equals("hard")
            ? "Run spent $"
                + Objects.toString(Money.plain(details.spentUsd()), "?")
                + ", over its hard limit of $"
                + Objects.toString(Money.plain(details.limitUsd()), "?")
            : "Period "
                + details.limit()
                + " has spent $"
                + Objects.toString(Money.plain(details.spentUsd()), "?")
                + " of its blocking threshold $"
                + Objects.toString(Money.plain(details.limitUsd()), "?")
                + "; new cost-bearing work is blocked";
    String estimate =
        details.estimateUsd() == null || details.estimateUsd().signum() == 0
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
