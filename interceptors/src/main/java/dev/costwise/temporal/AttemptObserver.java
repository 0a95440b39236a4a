package dev.costwise.temporal;

import dev.costwise.store.AttemptContext;
import dev.costwise.store.Outcome;
import dev.costwise.usage.PricedUsage;
import java.util.List;

/**
 * Sees each activity attempt that recorded usage as it ends, with its priced lines: on the
 * activity's thread, before the attempt's result or failure is returned, so a tracing span that
 * wraps the attempt is still open ({@link CostSpans}). An observer that throws is logged and
 * counted; it never fails the activity.
 */
@FunctionalInterface
public interface AttemptObserver {
  /**
   * Called once per attempt that recorded usage.
   *
   * @param lines the attempt's usage records with their prices, in recording order
   */
  void attemptEnded(AttemptContext attempt, Outcome outcome, List<PricedUsage> lines);
}
