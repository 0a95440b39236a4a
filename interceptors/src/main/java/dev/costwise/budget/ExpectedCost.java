package dev.costwise.budget;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * What one activity of a type is expected to cost (all its attempts), reserved against the limits
 * before it is scheduled.
 *
 * @param source {@code declared} (a figure configured for the type), {@code history} (a high
 *     percentile of the type's recorded activities) or {@code none} (nothing known: reserved at
 *     zero, which the run's notes say)
 * @param samples for {@code history}, how many recorded activities the figure comes from
 */
public record ExpectedCost(BigDecimal usd, String source, int samples) {
  /** Source of a figure configured for the activity type. */
  public static final String DECLARED = "declared";

  /** Source of a figure taken from the type's recorded history. */
  public static final String HISTORY = "history";

  /** Nothing known. */
  public static final String NONE = "none";

  /** Requires an amount of zero or more and a source. */
  public ExpectedCost {
    Objects.requireNonNull(usd, "usd");
    Objects.requireNonNull(source, "source");
    if (usd.signum() < 0) {
      throw new IllegalArgumentException("an expected cost cannot be negative, was " + usd);
    }
  }

  /** Nothing known: zero. */
  public static ExpectedCost unknown() {
    return new ExpectedCost(BigDecimal.ZERO, NONE, 0);
  }
}
