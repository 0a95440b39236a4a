package dev.costwise.store;

import dev.costwise.pricing.CatalogVersion;
import dev.costwise.usage.PricedUsage;
import java.math.BigDecimal;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the activities this worker ran cost, kept in memory until the workflow settles them: the
 * budget service answers "what did activity X of run R cost?" from here instead of reading the
 * store. An answer is given only when it is whole: every attempt from the first to the last ended
 * on this worker and the last one completed. Otherwise (an attempt ran on another worker, the
 * activity failed for good, this worker restarted) the store is read.
 *
 * <p>Bounded: the oldest activities are forgotten first, which only costs a read.
 */
public final class ActivityCosts {
  /** Activities remembered at most. */
  public static final int CAPACITY = 100_000;

  /** Catalog versions kept per activity at most (a reload per attempt would be extraordinary). */
  public static final int MAX_CATALOGS = 16;

  /**
   * What one activity cost: all its attempts, priced lines only, and its unpriced line count.
   *
   * @param endedNanos {@link System#nanoTime} when its last attempt ended on this worker (its cost
   *     was durable by then), or {@link Long#MAX_VALUE} when not known here
   * @param catalogs the catalog versions its lines were priced with, in {@link
   *     CatalogVersion#ORDER}
   */
  public record ActivityCost(
      BigDecimal usd,
      Map<String, BigDecimal> byModel,
      int unpriced,
      long endedNanos,
      List<CatalogVersion> catalogs) {
    /** Copies the map and the list. */
    public ActivityCost {
      byModel = Map.copyOf(byModel);
      catalogs = catalogs == null ? List.of() : List.copyOf(catalogs);
    }

    /** A cost without the catalogs it was priced with. */
    public ActivityCost(
        BigDecimal usd, Map<String, BigDecimal> byModel, int unpriced, long endedNanos) {
      this(usd, byModel, unpriced, endedNanos, List.of());
    }

    /** Nothing. */
    public static final ActivityCost NONE =
        new ActivityCost(BigDecimal.ZERO, Map.of(), 0, Long.MAX_VALUE);
  }

  private static final class Entry {
    final BitSet attempts = new BitSet();
    int last;
    long endedNanos;
    boolean lastCompleted;
    BigDecimal usd = BigDecimal.ZERO;
    final Map<String, BigDecimal> byModel = new TreeMap<>();
    final java.util.Set<CatalogVersion> catalogs = new java.util.TreeSet<>(CatalogVersion.ORDER);
    int unpriced;
  }

  private final Map<String, Entry> entries =
      Collections.synchronizedMap(
          new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
              return size() > CAPACITY;
            }
          });

  /** Notes that an attempt ended with {@code lines} (possibly none). */
  public void ended(AttemptContext ctx, Outcome outcome, List<PricedUsage> lines) {
    String key = key(ctx.runId(), ctx.activityId());
    synchronized (entries) {
      Entry e = entries.computeIfAbsent(key, k -> new Entry());
      if (e.attempts.get(ctx.attempt())) {
        return; // the same attempt ended twice: never count it again
      }
      e.attempts.set(ctx.attempt());
      e.endedNanos = System.nanoTime();
      if (ctx.attempt() >= e.last) {
        e.last = ctx.attempt();
        e.lastCompleted = outcome == Outcome.COMPLETED;
      }
      for (PricedUsage line : lines) {
        CatalogVersion catalog = line.cost().catalog();
        if (catalog != null && catalog.known() && e.catalogs.size() < MAX_CATALOGS) {
          e.catalogs.add(catalog);
        }
        if (line.cost().priced()) {
          e.usd = e.usd.add(line.cost().total());
          String model =
              line.cost().pricedModel() != null ? line.cost().pricedModel() : line.usage().model();
          e.byModel.merge(model, line.cost().total(), BigDecimal::add);
        } else {
          e.unpriced++;
        }
      }
    }
  }

  /**
   * The cost of activity {@code activityId} of run {@code runId}, when every attempt from the first
   * ended here and the last completed; else empty (the store knows).
   */
  public Optional<ActivityCost> whole(String runId, String activityId) {
    synchronized (entries) {
      Entry e = entries.get(key(runId, activityId));
      if (e == null
          || !e.lastCompleted
          || e.attempts.nextClearBit(1) != e.last + 1
          || e.attempts.get(0)) {
        return Optional.empty();
      }
      return Optional.of(
          new ActivityCost(
              e.usd, e.byModel, e.unpriced, e.endedNanos, new java.util.ArrayList<>(e.catalogs)));
    }
  }

  /** Forgets an activity its run has settled. */
  public void forget(String runId, String activityId) {
    entries.remove(key(runId, activityId));
  }

  private static String key(String runId, String activityId) {
    return runId + '\u0000' + activityId;
  }
}
