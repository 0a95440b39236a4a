package dev.costwise.store;

import dev.costwise.usage.UsageCounts;
import java.math.BigDecimal;
import java.util.List;

/**
 * What a set of step rows adds to an execution's totals; subtracting one set from another gives a
 * change.
 */
public record TotalsDelta(
    BigDecimal costUsd, UsageCounts counts, int usageCount, int unpricedUsageCount) {

  /** The sum over {@code rows}; unpriced rows add to the counts but not to the cost. */
  public static TotalsDelta of(List<StepRow> rows) {
    BigDecimal cost = BigDecimal.ZERO;
    UsageCounts counts = UsageCounts.ZERO;
    int unpriced = 0;
    for (StepRow r : rows) {
      if (r.priced()) {
        cost = cost.add(r.costUsd());
      } else {
        unpriced++;
      }
      counts = counts.plus(r.counts());
    }
    return new TotalsDelta(cost, counts, rows.size(), unpriced);
  }

  /** Nothing added. */
  public static final TotalsDelta ZERO = of(List.of());

  /** Whether this adds nothing at all (an attempt rewritten unchanged). */
  public boolean isZero() {
    return costUsd.signum() == 0 && counts.isZero() && usageCount == 0 && unpricedUsageCount == 0;
  }

  /** This plus {@code other}. */
  public TotalsDelta plus(TotalsDelta o) {
    return new TotalsDelta(
        costUsd.add(o.costUsd),
        counts.plus(o.counts),
        usageCount + o.usageCount,
        unpricedUsageCount + o.unpricedUsageCount);
  }

  /** This minus {@code other}. */
  public TotalsDelta minus(TotalsDelta o) {
    return new TotalsDelta(
        costUsd.subtract(o.costUsd),
        counts.minus(o.counts),
        usageCount - o.usageCount,
        unpricedUsageCount - o.unpricedUsageCount);
  }
}
