package dev.costwise.store;

import dev.costwise.pricing.Cost;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.usage.InvalidUsageException;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prices stored lines again with another catalog and reports the differences per model and in
 * total; when applying, writes the corrections: page by page, the lines are read inside the
 * transaction that corrects them, with their runs' execution rows locked as writers lock them (so a
 * worker's rewrite of an attempt either commits first and is repriced, or waits and applies on
 * top); each changed attempt's lines are rewritten through the store's own write path, so execution
 * totals and daily rollups move by the exact difference in the same transaction, and every changed
 * line's old and new figures, with the catalog each came from, go to {@code cost_correction}. Lines
 * whose figures do not change are not touched, so a second run with the same catalog changes
 * nothing.
 */
public final class Repricer {
  /** Attempts read and written per transaction. */
  static final int PAGE = 500;

  private final CostStore store;

  /** A repricer over {@code store}'s database. */
  public Repricer(CostStore store) {
    this.store = store;
  }

  /**
   * One model's lines in the period: how many, how many changed, and the totals before and after.
   */
  public record ModelDifference(
      String model, long lines, long changed, BigDecimal before, BigDecimal after) {
    /** After minus before. */
    public BigDecimal difference() {
      return after.subtract(before);
    }
  }

  /**
   * The outcome of a reprice: per model (the catalog id lines were priced as, else the recorded
   * name), sorted by name, and in total. {@code newlyUnpriced} counts lines the catalog cannot
   * price although they were priced before (their cost leaves the totals).
   */
  public record Result(
      List<ModelDifference> byModel,
      long lines,
      long changed,
      long newlyPriced,
      long newlyUnpriced,
      BigDecimal before,
      BigDecimal after,
      boolean applied) {
    /** After minus before. */
    public BigDecimal difference() {
      return after.subtract(before);
    }
  }

  /** Lines seen and changed, per model and in all, and the totals before and after. */
  private static final class Tally {
    final Map<String, long[]> counts = new TreeMap<>();
    final Map<String, BigDecimal[]> sums = new TreeMap<>();
    long lines;
    long changed;
    long newlyPriced;
    long newlyUnpriced;

    void add(String model, StepRow old, StepRow row) {
      long[] c = counts.computeIfAbsent(model, k -> new long[2]);
      BigDecimal[] s =
          sums.computeIfAbsent(model, k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
      c[0]++;
      s[0] = s[0].add(old.priced() ? old.costUsd() : BigDecimal.ZERO);
      s[1] = s[1].add(row.priced() ? row.costUsd() : BigDecimal.ZERO);
      lines++;
      if (!old.sameFigures(row)) {
        c[1]++;
        changed++;
        newlyPriced += !old.priced() && row.priced() ? 1 : 0;
        newlyUnpriced += old.priced() && !row.priced() ? 1 : 0;
      }
    }
  }

  /**
   * The line priced again; a line whose recorded usage no longer passes validation (a limit lowered
   * since) is left as it is.
   */
  private static StepRow repriced(Pricer pricer, StepRow old) {
    Usage usage;
    try {
      usage = old.usage();
    } catch (InvalidUsageException e) {
      return old;
    }
    Cost cost = pricer.priceLenient(usage, old.startedAt());
    return old.repriced(cost);
  }

  /**
   * Prices every line of attempts that started in {@code [from, to)} with {@code catalog} (at the
   * prices in force when each attempt started) and, when {@code apply}, writes the corrections.
   */
  public Result reprice(Instant from, Instant to, PriceCatalog catalog, boolean apply) {
    if (!to.isAfter(from)) {
      throw new IllegalArgumentException("the period is empty: 'to' must be after 'from'");
    }
    Pricer pricer = Pricer.of(catalog);
    Tally tally = new Tally();
    RepriceDao.AttemptRef after = new RepriceDao.AttemptRef("", "", 0, Instant.EPOCH);
    while (true) {
      RepriceDao.AttemptRef position = after;
      List<RepriceDao.AttemptRef> page =
          store
              .jdbi()
              .withExtension(
                  RepriceDao.class,
                  dao ->
                      dao.attempts(
                          from.toString(),
                          to.toString(),
                          position.startedAt().toString(),
                          position.runId(),
                          position.activityId(),
                          position.attempt(),
                          PAGE));
      if (page.isEmpty()) {
        break;
      }
      after = page.get(page.size() - 1);
      store.reprice(
          page,
          stored -> {
            Map<String, List<StepRow>> byAttempt = new LinkedHashMap<>();
            for (StepRow r : stored) {
              byAttempt
                  .computeIfAbsent(
                      // by execution: a reused activity id's other executions are apart
                      AttemptJournal.key(r), k -> new ArrayList<>())
                  .add(r);
            }
            List<List<StepRow>> rewrites = new ArrayList<>();
            List<StepRow> before = new ArrayList<>();
            List<StepRow> afterRows = new ArrayList<>();
            for (List<StepRow> attempt : byAttempt.values()) {
              List<StepRow> next = new ArrayList<>(attempt.size());
              boolean any = false;
              for (StepRow old : attempt) {
                StepRow row = repriced(pricer, old);
                String model = old.pricedModel() != null ? old.pricedModel() : old.model();
                tally.add(model, old, row);
                if (old.sameFigures(row)) {
                  next.add(old);
                } else {
                  any = true;
                  next.add(row);
                  before.add(old);
                  afterRows.add(row);
                }
              }
              if (any) {
                rewrites.add(next);
              }
            }
            return new CostStore.Corrections(rewrites, before, afterRows);
          },
          apply);
    }
    List<ModelDifference> byModel = new ArrayList<>();
    BigDecimal totalBefore = BigDecimal.ZERO;
    BigDecimal totalAfter = BigDecimal.ZERO;
    for (Map.Entry<String, long[]> e : tally.counts.entrySet()) {
      BigDecimal[] s = tally.sums.get(e.getKey());
      byModel.add(new ModelDifference(e.getKey(), e.getValue()[0], e.getValue()[1], s[0], s[1]));
      totalBefore = totalBefore.add(s[0]);
      totalAfter = totalAfter.add(s[1]);
    }
    return new Result(
        List.copyOf(byModel),
        tally.lines,
        tally.changed,
        tally.newlyPriced,
        tally.newlyUnpriced,
        totalBefore,
        totalAfter,
        apply);
  }
}
