package dev.costwise.budget;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.store.ActivityCosts;
import dev.costwise.store.StoreErrors;
import dev.costwise.store.UnwrittenCost;
import dev.costwise.usage.Tags;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The budget policy: compares a run's spend (recorded, plus what the recorder holds unwritten) with
 * its limits and with every period budget covering it, and says what is exceeded, blocked or worth
 * a warning. Threshold crossings are raised through {@link BudgetAlerts}.
 */
public final class BudgetPolicy {
  private static final Logger log = LoggerFactory.getLogger(BudgetPolicy.class);

  private final Jdbi jdbi;
  private final dev.costwise.store.CostStore executions; // creates the rows of refused runs
  private final CostMetrics metrics;
  private final Clock clock;
  private final UnwrittenCost unwritten;
  private final BudgetAlerts alerts;
  private final ActivityCosts activityCosts;
  private final Map<String, ExpectedCost> declared = new ConcurrentHashMap<>();
  private final Map<String, Cached<Object>> cache = new ConcurrentHashMap<>();
  private final Set<String> raised = ConcurrentHashMap.newKeySet();
  // expected costs from history being read again; meanwhile other settlements reuse the old one
  private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
  private final Map<String, BigDecimal> lastRunTotal =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, BigDecimal> eldest) {
              return size() > 10_000;
            }
          });

  /** How long budget definitions and period spend are reused before they are read again. */
  public static final Duration REFRESH = Duration.ofSeconds(1);

  /** How long an activity type's expected cost from history is reused, by default. */
  public static final Duration HISTORY_REFRESH = Duration.ofSeconds(60);

  private volatile Duration historyRefresh = HISTORY_REFRESH;

  /** How far back an activity type's history is read for its expected cost. */
  public static final Duration HISTORY = Duration.ofDays(7);

  /** The percentile of an activity type's recorded costs reserved for its next activity. */
  public static final double HISTORY_PERCENTILE = 0.95;

  /** Fewest recorded activities of a type for its history to give an expected cost. */
  public static final int HISTORY_MIN_SAMPLES = 5;

  /**
   * Most lines of an activity type's history read for its expected cost, the newest: a busy type
   * records millions of lines in {@link #HISTORY}, and its recent ones say what it costs now.
   */
  public static final int HISTORY_LINES = 2_000;

  /**
   * Longest a settlement waits for the completed attempt of an activity another worker ran to be
   * stored: that worker may write behind (its journal, not PostgreSQL, made the cost durable).
   */
  public static final Duration WRITTEN_WAIT = Duration.ofSeconds(3);

  private static final long WRITTEN_POLL_MILLIS = 20;

  private record Cached<T>(T value, Instant readAt, long readNanos) {
    Cached(T value, Instant readAt) {
      this(value, readAt, System.nanoTime());
    }

    /** Whether it was read less than {@code ttl} before {@code now}. */
    boolean fresh(Duration ttl, Instant now) {
      return readAt.plus(ttl).isAfter(now);
    }
  }

  /** Cache key of the budget definitions. */
  private static final String DEFINITIONS = "definitions";

  /**
   * The policy; {@code unwritten} is the recorder's view of spend not yet in the database, {@code
   * activityCosts} what this worker's activities cost, kept until their runs settle them.
   */
  public BudgetPolicy(
      Jdbi jdbi,
      CostMetrics metrics,
      Clock clock,
      UnwrittenCost unwritten,
      BudgetAlerts alerts,
      ActivityCosts activityCosts) {
    this.jdbi = Objects.requireNonNull(jdbi);
    dev.costwise.store.CostStore.warmSqlObjects(jdbi, BudgetDao.class);
    this.executions = new dev.costwise.store.CostStore(jdbi);
    this.metrics = Objects.requireNonNull(metrics);
    this.clock = Objects.requireNonNull(clock);
    this.unwritten = Objects.requireNonNull(unwritten);
    this.alerts = Objects.requireNonNull(alerts);
    this.activityCosts = Objects.requireNonNull(activityCosts);
  }

  /**
   * Declares what one activity of {@code activityType} is expected to cost (all its attempts): the
   * amount reserved against the limits before such an activity is scheduled. Declared figures win
   * over history.
   */
  public void expect(String activityType, BigDecimal usd) {
    Objects.requireNonNull(activityType, "activityType");
    declared.put(activityType, new ExpectedCost(usd, ExpectedCost.DECLARED, 0));
  }

  /**
   * How long an activity type's expected cost read from history is reused before it is read again
   * (default {@link #HISTORY_REFRESH}); zero reads it for every run's first activity of the type.
   */
  public void historyRefresh(Duration every) {
    if (every == null || every.isNegative()) {
      throw new IllegalArgumentException("history refresh must be zero or more, was " + every);
    }
    this.historyRefresh = every;
  }

  /**
   * Settles an activity and answers what the run needs to hold its limits; see {@link
   * BudgetSettleRequest}. Reads only what the run cannot know: an activity's cost when another
   * worker ran part of it, ancestors' and children's spend, period budgets (reused for {@link
   * #REFRESH}), expected costs from history (reused for {@link #HISTORY_REFRESH}).
   */
  public BudgetSettlement settle(BudgetSettleRequest r) {
    Instant now = clock.instant();
    List<String> notes = new ArrayList<>();
    boolean down = unwritten.databaseDown();
    ActivityCosts.ActivityCost cost = ActivityCosts.ActivityCost.NONE;
    if (r.activityId() != null) {
      Optional<ActivityCosts.ActivityCost> local = activityCosts.whole(r.runId(), r.activityId());
      if (local.isPresent()) {
        cost = local.get();
      } else if (down) {
        notes.add(
            "PostgreSQL was unreachable when activity "
                + r.activityId()
                + " was settled and part of it ran on another worker: its cost is not in this"
                + " run's figures until the next read from the store");
      } else {
        awaitWrittenHere(r, notes);
        awaitCompletedStored(r, now, notes);
        cost = storedCost(r.runId(), r.activityId());
      }
    }
    Map<String, BigDecimal> scopeSpent = new LinkedHashMap<>();
    if (!r.readScopes().isEmpty()) {
      if (down) {
        notes.add("PostgreSQL was unreachable: the tree's spend is as last read");
      } else {
        try {
          jdbi.useExtension(
              BudgetDao.class,
              dao -> {
                for (String chain : r.readScopes()) {
                  scopeSpent.put(
                      chain,
                      chain.equals(r.rootRunId()) ? dao.treeSpent(chain) : dao.subtreeSpent(chain));
                }
              });
        } catch (RuntimeException e) {
          if (!StoreErrors.unreachable(e)) {
            throw e;
          }
          scopeSpent.clear();
          notes.add("PostgreSQL was unreachable: the tree's spend is as last read");
        }
      }
    }
    List<BudgetUtilisation> covering = new ArrayList<>();
    if (!down) {
      try {
        for (PeriodBudget b : definitions(now)) {
          if (b.scope().covers(r.workflowType(), r.taskQueue(), r.tags())) {
            if (cost.usd().signum() != 0) {
              addToPeriodSpent(b, now, cost); // this run just spent
            }
            BigDecimal spent = periodSpentCached(b, now);
            covering.add(utilisation(b, now, spent));
            try {
              raisePeriodAlerts(b, spent, now, r.runId(), r.workflowId(), r.workflowType());
            } catch (RuntimeException e) {
              if (!StoreErrors.unreachable(e)) {
                throw e;
              }
              log.warn("Budget alert not stored, PostgreSQL is unreachable: {}", e.getMessage());
            }
          }
        }
      } catch (RuntimeException e) {
        if (!StoreErrors.unreachable(e)) {
          throw e;
        }
        covering.clear();
        notes.add("PostgreSQL was unreachable: period budgets were not read");
      }
    } else {
      notes.add("PostgreSQL was unreachable: period budgets were not read");
    }
    try {
      raiseRunAlerts(r, cost, scopeSpent, now);
    } catch (RuntimeException e) {
      if (!StoreErrors.unreachable(e)) {
        throw e;
      }
      log.warn(
          "Run alert for {} not stored, PostgreSQL is unreachable: {}", r.runId(), e.getMessage());
    }
    Map<String, ExpectedCost> expected = new LinkedHashMap<>();
    for (String type : r.expectTypes()) {
      ExpectedCost e;
      try {
        e = expected(r.workflowType(), type, now, down);
      } catch (RuntimeException ex) {
        if (!StoreErrors.unreachable(ex)) {
          throw ex;
        }
        e = ExpectedCost.unknown();
        notes.add("PostgreSQL was unreachable: no history for the expected cost of " + type);
      }
      expected.put(type, e);
    }
    if (r.activityId() != null) {
      activityCosts.forget(r.runId(), r.activityId()); // settled: an answer retried is read again
    }
    return new BudgetSettlement(
        cost.usd(),
        cost.byModel(),
        cost.unpriced(),
        scopeSpent,
        covering,
        expected,
        notes,
        cost.catalogs());
  }

  /**
   * Settles {@code r} from what this process already holds, without touching the store: the
   * activity's cost when every attempt of it ran here, the period budgets and their spend while
   * reused (see {@link #REFRESH}), expected costs declared or reused. The answer is the one {@link
   * #settle} would give. Empty, having changed nothing, when any part needs the store: an attempt
   * ran elsewhere or failed, a figure is due to be read again, the tree's spend is asked for, an
   * alert is due to be stored, or PostgreSQL is unreachable; the caller then settles through {@link
   * #settle}. It never blocks, so a workflow can call it in a side effect.
   */
  public Optional<BudgetSettlement> settleFromMemory(BudgetSettleRequest r) {
    if (!r.readScopes().isEmpty() || unwritten.databaseDown()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    ActivityCosts.ActivityCost cost = ActivityCosts.ActivityCost.NONE;
    if (r.activityId() != null) {
      Optional<ActivityCosts.ActivityCost> local = activityCosts.whole(r.runId(), r.activityId());
      if (local.isEmpty()) {
        return Optional.empty();
      }
      cost = local.get();
    }
    @SuppressWarnings("unchecked")
    List<PeriodBudget> definitions = (List<PeriodBudget>) reused(DEFINITIONS, REFRESH, now);
    if (definitions == null) {
      return Optional.empty();
    }
    List<PeriodBudget> spentIn = new ArrayList<>();
    List<BudgetUtilisation> covering = new ArrayList<>();
    List<BudgetAlert> due = new ArrayList<>(runAlerts(r, cost, Map.of(), now));
    for (PeriodBudget b : definitions) {
      if (!b.scope().covers(r.workflowType(), r.taskQueue(), r.tags())) {
        continue;
      }
      Cached<Object> c = cache.get(periodKey("period", b, now));
      if (c == null || !c.fresh(REFRESH, now)) {
        return Optional.empty();
      }
      BigDecimal spent = (BigDecimal) c.value();
      if (cost.usd().signum() != 0) {
        spentIn.add(b);
        if (cost.endedNanos() - c.readNanos() > 0) {
          spent = spent.add(cost.usd()); // as addToPeriodSpent will count it
        }
      }
      covering.add(utilisation(b, now, spent));
      due.addAll(periodAlerts(b, spent, now, r.runId(), r.workflowId(), r.workflowType()));
    }
    for (BudgetAlert a : due) {
      if (!raised.contains(raisedKey(a))) {
        return Optional.empty(); // storing it is the store's work
      }
    }
    Map<String, ExpectedCost> expected = new LinkedHashMap<>();
    for (String type : r.expectTypes()) {
      ExpectedCost e = declared.get(type);
      if (e == null) {
        e = (ExpectedCost) reused(historyKey(r.workflowType(), type), historyRefresh, now);
      }
      if (e == null) {
        return Optional.empty();
      }
      expected.put(type, e);
    }
    for (PeriodBudget b : spentIn) {
      addToPeriodSpent(b, now, cost);
    }
    if (r.activityId() != null) {
      activityCosts.forget(r.runId(), r.activityId());
    }
    return Optional.of(
        new BudgetSettlement(
            cost.usd(),
            cost.byModel(),
            cost.unpriced(),
            Map.of(),
            covering,
            expected,
            List.of(),
            cost.catalogs()));
  }

  /** A reused value still within {@code ttl} of its read, else null. */
  private Object reused(String key, Duration ttl, Instant now) {
    Cached<Object> c = cache.get(key);
    return c != null && c.fresh(ttl, now) ? c.value() : null;
  }

  /** Cache key of a period budget's spend in its current period, under {@code view}. */
  private static String periodKey(String view, PeriodBudget b, Instant now) {
    return view + '\u0000' + b.name() + '\u0000' + b.period().start(now);
  }

  private static String historyKey(String workflowType, String activityType) {
    return "history\u0000" + workflowType + '\u0000' + activityType;
  }

  /**
   * Stores an activity refused before running as an alert of its run: action {@value
   * BudgetAlert#REFUSE}, threshold {@code refused:<limit>}, once per run and limit. While
   * PostgreSQL is unreachable the refusal is logged and not stored (the run's failure still says
   * what was refused).
   */
  public void refused(BudgetRefusal r) {
    BudgetExceeded.Details d = r.details();
    BudgetAlert alert =
        new BudgetAlert(
            "run:" + r.runId(),
            BudgetAlert.REFUSED + d.limit(),
            Instant.EPOCH,
            d.limit().startsWith(BudgetExceeded.BUDGET)
                ? BudgetStatus.BLOCKED
                : BudgetStatus.EXCEEDED,
            BudgetAlert.REFUSE,
            d.spentUsd() == null ? BigDecimal.ZERO : d.spentUsd(),
            d.limitUsd() == null ? BigDecimal.ZERO : d.limitUsd(),
            r.runId(),
            r.workflowId() == null ? "" : r.workflowId(),
            r.workflowType() == null ? "" : r.workflowType(),
            clock.instant(),
            d.activityType(),
            d.estimateUsd());
    if (unwritten.databaseDown()) {
      log.warn(
          "Refusal of {} in run {} not stored, PostgreSQL is unreachable",
          d.activityType(),
          r.runId());
      return;
    }
    try {
      if (r.namespace() != null && r.taskQueue() != null) {
        // a run refused before anything was recorded has no row yet: give it one, so that it is
        // listed and opened like any other
        executions.openExecution(
            r.runId(),
            r.namespace(),
            r.workflowId() == null ? "" : r.workflowId(),
            r.workflowType() == null ? "" : r.workflowType(),
            r.taskQueue(),
            r.tags(),
            r.parentRunId(),
            r.rootRunId(),
            r.chainRunId(),
            r.limits(),
            clock.instant());
      }
      raiseOnce(alert);
    } catch (RuntimeException e) {
      if (!StoreErrors.unreachable(e)) {
        throw e;
      }
      log.warn(
          "Refusal in run {} not stored, PostgreSQL is unreachable: {}", r.runId(), e.getMessage());
    }
  }

  private ActivityCosts.ActivityCost storedCost(String runId, String activityId) {
    List<dev.costwise.pricing.CatalogVersion> catalogs = new ArrayList<>();
    List<BudgetDao.ModelCost> rows =
        jdbi.withExtension(
            BudgetDao.class,
            dao -> {
              catalogs.addAll(dao.activityCatalogs(runId, activityId));
              return dao.activityCost(runId, activityId);
            });
    BigDecimal total = BigDecimal.ZERO;
    Map<String, BigDecimal> byModel = new LinkedHashMap<>();
    int unpriced = 0;
    for (BudgetDao.ModelCost row : rows) {
      total = total.add(row.usd());
      if (row.usd().signum() != 0) {
        byModel.put(row.model(), row.usd());
      }
      unpriced += row.unpriced();
    }
    return new ActivityCosts.ActivityCost(total, byModel, unpriced, Long.MAX_VALUE, catalogs);
  }

  /** Alerts for the limits of the run's own scope, once per crossing and process. */
  private void raiseRunAlerts(
      BudgetSettleRequest r,
      ActivityCosts.ActivityCost cost,
      Map<String, BigDecimal> scopeSpent,
      Instant now) {
    runAlerts(r, cost, scopeSpent, now).forEach(this::raiseOnce);
  }

  /** The alerts of the run's own limits that its spend after {@code cost} has reached. */
  private static List<BudgetAlert> runAlerts(
      BudgetSettleRequest r,
      ActivityCosts.ActivityCost cost,
      Map<String, BigDecimal> scopeSpent,
      Instant now) {
    if (r.scopes().isEmpty() || !r.scopes().get(0).limited()) {
      return List.of();
    }
    LimitScope own = r.scopes().get(0);
    BigDecimal before = r.ownSpentUsd() == null ? BigDecimal.ZERO : r.ownSpentUsd();
    BigDecimal spent = scopeSpent.getOrDefault(own.chainRunId(), before.add(cost.usd()));
    BudgetCheckRequest as =
        new BudgetCheckRequest(
            own.chainRunId(),
            r.workflowId(),
            r.workflowType(),
            r.taskQueue(),
            r.tags(),
            own.limits(),
            null,
            r.activityType(),
            r.activityId());
    List<BudgetAlert> reached = new ArrayList<>(2);
    if (own.limits().softUsd() != null && spent.compareTo(own.limits().softUsd()) > 0) {
      reached.add(
          runAlert(as, "soft", BudgetStatus.WARNING, "NOTIFY", spent, own.limits().softUsd(), now));
    }
    if (own.limits().hardUsd() != null && spent.compareTo(own.limits().hardUsd()) > 0) {
      reached.add(
          runAlert(as, "hard", BudgetStatus.EXCEEDED, "FAIL", spent, own.limits().hardUsd(), now));
    }
    return reached;
  }

  private void raisePeriodAlerts(
      PeriodBudget b,
      BigDecimal spent,
      Instant now,
      String runId,
      String workflowId,
      String workflowType) {
    periodAlerts(b, spent, now, runId, workflowId, workflowType).forEach(this::raiseOnce);
  }

  /** The alerts of every threshold of {@code b} that {@code spent} has reached this period. */
  private static List<BudgetAlert> periodAlerts(
      PeriodBudget b,
      BigDecimal spent,
      Instant now,
      String runId,
      String workflowId,
      String workflowType) {
    List<BudgetAlert> reached = new ArrayList<>();
    for (Threshold t : b.thresholds()) {
      if (spent.compareTo(t.amount(b.limitUsd())) >= 0) {
        boolean block = t.action() == Threshold.Action.BLOCK;
        reached.add(
            new BudgetAlert(
                "budget:" + b.name(),
                t.label(),
                b.period().start(now),
                block ? BudgetStatus.BLOCKED : BudgetStatus.WARNING,
                t.action().name(),
                spent,
                t.amount(b.limitUsd()),
                runId,
                workflowId,
                workflowType,
                now));
      }
    }
    return reached;
  }

  /** Stores (and sends) an alert unless this process did so before; the store dedupes as well. */
  private void raiseOnce(BudgetAlert alert) {
    String key = raisedKey(alert);
    if (raised.add(key)) {
      try {
        jdbi.useExtension(BudgetDao.class, dao -> alerts.raise(dao, alert));
      } catch (RuntimeException e) {
        raised.remove(key);
        throw e;
      }
    }
  }

  private static String raisedKey(BudgetAlert alert) {
    return alert.subject() + '\u0000' + alert.threshold() + '\u0000' + alert.periodStart();
  }

  /**
   * Before an activity is read from the store: waits (up to {@link #WRITTEN_WAIT}) until this
   * worker's recorder holds nothing of the run unwritten. An activity that failed for good is read
   * from the store even when it ran here (memory cannot tell whether a later attempt ran
   * elsewhere), and a recorder writing behind puts its attempts there a moment after they ended.
   */
  private void awaitWrittenHere(BudgetSettleRequest r, List<String> notes) {
    java.util.function.BooleanSupplier written =
        () -> unwritten.unwrittenUsd(r.runId()).signum() == 0;
    if (written.getAsBoolean() || pollUntil(written)) {
      return;
    }
    notes.add(
        "Activity "
            + r.activityId()
            + " was settled while this worker still held some of its run's cost unwritten (after "
            + WRITTEN_WAIT.toSeconds()
            + " s): this settlement counts only what was stored of it");
  }

  /**
   * Before an activity that completed on another worker is read from the store: waits (up to {@link
   * #WRITTEN_WAIT}) for its completed attempt's lines, which a worker writing behind stores a
   * moment after the activity returned. Only for types that cost something (a declared figure, or
   * lines in their history): an activity that reported no usage has no lines to wait for.
   */
  private void awaitCompletedStored(BudgetSettleRequest r, Instant now, List<String> notes) {
    if (!Boolean.TRUE.equals(r.activityCompleted()) || r.activityType() == null) {
      return;
    }
    java.util.function.BooleanSupplier stored =
        () ->
            jdbi.withExtension(
                BudgetDao.class, dao -> dao.completedStored(r.runId(), r.activityId()));
    if (stored.getAsBoolean()
        || !costBearing(r.workflowType(), r.activityType(), now)
        || pollUntil(stored)) {
      return;
    }
    notes.add(
        "Activity "
            + r.activityId()
            + " completed on another worker but its cost was not stored within "
            + WRITTEN_WAIT.toSeconds()
            + " s (that worker writes behind, or the activity reported no usage): this settlement"
            + " counts only what was stored of it");
  }

  /**
   * Polls {@code done} every {@value #WRITTEN_POLL_MILLIS} ms for up to {@link #WRITTEN_WAIT};
   * whether it came true.
   */
  private static boolean pollUntil(java.util.function.BooleanSupplier done) {
    long until = System.nanoTime() + WRITTEN_WAIT.toNanos();
    while (System.nanoTime() < until) {
      try {
        Thread.sleep(WRITTEN_POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      if (done.getAsBoolean()) {
        return true;
      }
    }
    return false;
  }

  /** Whether activities of the type cost something: a declared figure, or lines in its history. */
  private boolean costBearing(String workflowType, String activityType, Instant now) {
    ExpectedCost figure = expected(workflowType, activityType, now, false);
    if (figure.usd().signum() > 0) {
      return true;
    }
    Cached<Object> seen = cache.get(seenKey(workflowType, activityType));
    return seen != null && Boolean.TRUE.equals(seen.value());
  }

  private static String seenKey(String workflowType, String activityType) {
    return "seen\u0000" + workflowType + '\u0000' + activityType;
  }

  private ExpectedCost expected(
      String workflowType, String activityType, Instant now, boolean down) {
    ExpectedCost figure = declared.get(activityType);
    if (figure != null) {
      return figure;
    }
    if (down) {
      return ExpectedCost.unknown();
    }
    String key = historyKey(workflowType, activityType);
    Cached<Object> held = cache.get(key);
    if (held != null && (held.fresh(historyRefresh, now) || !refreshing.add(key))) {
      // fresh; or stale while another settlement reads it again: this one need not read too
      return (ExpectedCost) held.value();
    }
    try {
      BudgetDao.TypeHistory read =
          jdbi.withExtension(
              BudgetDao.class,
              dao ->
                  dao.typeHistory(
                      workflowType,
                      activityType,
                      now.minus(HISTORY),
                      HISTORY_PERCENTILE,
                      HISTORY_LINES));
      cache.put(seenKey(workflowType, activityType), new Cached<>(read.samples() > 0, now));
      ExpectedCost e =
          read.samples() < HISTORY_MIN_SAMPLES
              ? ExpectedCost.unknown()
              : new ExpectedCost(read.usd(), ExpectedCost.HISTORY, read.samples());
      cache.put(key, new Cached<>(e, now));
      return e;
    } finally {
      if (held != null) {
        refreshing.remove(key);
      }
    }
  }

  /** The budget definitions, reused for {@link #REFRESH}. */
  @SuppressWarnings("unchecked")
  private List<PeriodBudget> definitions(Instant now) {
    List<PeriodBudget> reusedList = (List<PeriodBudget>) reused(DEFINITIONS, REFRESH, now);
    if (reusedList != null) {
      return reusedList;
    }
    List<PeriodBudget> list = jdbi.withExtension(BudgetDao.class, BudgetDefinitions::list);
    cache.put(DEFINITIONS, new Cached<>(list, now));
    return list;
  }

  /**
   * Counts an activity this run just settled in the period's reused spend: added when it ended on
   * this worker after the spend was read (before, the read included it); when it is not known here,
   * the spend is read again. An activity whose write committed before the read but which ended
   * after it is counted twice until the next read, at most {@link #REFRESH} later: an error toward
   * the limit, never past it.
   */
  private void addToPeriodSpent(PeriodBudget b, Instant now, ActivityCosts.ActivityCost cost) {
    String key = periodKey("period", b, now);
    if (cost.endedNanos() == Long.MAX_VALUE) {
      cache.remove(key);
      return;
    }
    cache.computeIfPresent(
        key,
        (k, c) ->
            cost.endedNanos() - c.readNanos() > 0
                ? new Cached<>(((BigDecimal) c.value()).add(cost.usd()), c.readAt(), c.readNanos())
                : c);
  }

  /** A period budget's spend, reused for {@link #REFRESH}. */
  private BigDecimal periodSpentCached(PeriodBudget b, Instant now) {
    return periodSpentCached(b, now, "period");
  }

  /**
   * A period budget's spend, reused for {@link #REFRESH} under {@code view}: settlements read it
   * again after spending (view {@code period}); the activity worker's last-line block check keeps
   * its own view (view {@code block}), so it reads at most once a second whatever is spent.
   */
  private BigDecimal periodSpentCached(PeriodBudget b, Instant now, String view) {
    String key = periodKey(view, b, now);
    BigDecimal reusedSpent = (BigDecimal) reused(key, REFRESH, now);
    if (reusedSpent != null) {
      return reusedSpent;
    }
    BigDecimal spent = jdbi.withExtension(BudgetDao.class, dao -> periodSpent(dao, b, now));
    cache.put(key, new Cached<>(spent, now));
    return spent;
  }

  /** Drops the reused budget definitions, so the next check reads them (after a change here). */
  void forgetDefinitions() {
    cache.remove(DEFINITIONS);
  }

  /** The amount of {@code b}'s lowest blocking threshold, or null. */
  private static BigDecimal blockAt(PeriodBudget b) {
    return b.thresholds().stream()
        .filter(t -> t.action() == Threshold.Action.BLOCK)
        .map(t -> t.amount(b.limitUsd()))
        .min(BigDecimal::compareTo)
        .orElse(null);
  }

  /** Every budget's utilisation in its current period. */
  public List<BudgetUtilisation> utilisation() {
    Instant now = clock.instant();
    return jdbi.withExtension(
        BudgetDao.class,
        dao ->
            BudgetDefinitions.list(dao).stream()
                .map(b -> utilisation(b, now, periodSpent(dao, b, now)))
                .toList());
  }

  /**
   * The blocking budget, if any, that forbids new cost-bearing work for a run of this type, queue
   * and tags: its spend this period has reached a blocking threshold.
   */
  public Optional<BudgetExceeded.Details> blocking(
      String workflowType,
      String taskQueue,
      Map<String, String> tags,
      String activityType,
      String activityId) {
    if (unwritten.databaseDown()) {
      metrics.internalError("budget-block-check-db-down");
      return Optional.empty(); // period budgets cannot be read; run limits still hold (see check)
    }
    Instant now = clock.instant();
    for (PeriodBudget b : definitions(now)) {
      if (blockAt(b) != null && b.scope().covers(workflowType, taskQueue, tags)) {
        Optional<BudgetExceeded.Details> d =
            blockedBy(
                b, periodSpentCached(b, now, "block"), BigDecimal.ZERO, activityType, activityId);
        if (d.isPresent()) {
          return d;
        }
      }
    }
    return Optional.empty();
  }

  /** Runs the budget check for {@code request}; see {@link BudgetCheckActivity}. */
  public RunCost check(BudgetCheckRequest r) {
    Instant now = clock.instant();
    if (!unwritten.databaseDown()) {
      try {
        return jdbi.withExtension(BudgetDao.class, dao -> check(dao, r, now));
      } catch (RuntimeException e) {
        if (!StoreErrors.unreachable(e)) {
          throw e;
        }
        log.warn("Budget check of run {} without the database: {}", r.runId(), e.getMessage());
      }
    }
    return checkWithoutDatabase(r);
  }

  /**
   * The run-limit part of a check while PostgreSQL is unreachable: the last total read for the run
   * plus what the recorder holds unwritten. Period budgets cannot be read and are left out (said in
   * the report's notes); alerts are raised by the next check that reaches the database.
   */
  private RunCost checkWithoutDatabase(BudgetCheckRequest r) {
    metrics.internalError("budget-check-db-down");
    boolean beforeWork = r.estimateUsd() != null;
    BigDecimal estimate = beforeWork ? r.estimateUsd() : BigDecimal.ZERO;
    BigDecimal lastRead = lastRunTotal.getOrDefault(r.runId(), BigDecimal.ZERO);
    BigDecimal spent = lastRead.add(unwritten.unwrittenUsd(r.runId()));
    ExecutionLimits limits = r.limits() == null ? ExecutionLimits.NONE : r.limits();
    BudgetStatus status = BudgetStatus.OK;
    BudgetExceeded.Details exceeded = null;
    BigDecimal projected = spent.add(estimate);
    if (limits.softUsd() != null && projected.compareTo(limits.softUsd()) > 0) {
      status = BudgetStatus.WARNING;
    }
    if (limits.hardUsd() != null && projected.compareTo(limits.hardUsd()) > 0) {
      status = BudgetStatus.EXCEEDED;
      exceeded =
          new BudgetExceeded.Details(
              "hard", limits.hardUsd(), spent, estimate, r.activityType(), r.activityId());
    }
    return new RunCost(
        r.runId(),
        spent,
        limits.softUsd(),
        limits.hardUsd(),
        status,
        Map.of(),
        Map.of(),
        List.of(),
        exceeded,
        List.of(
            "PostgreSQL was unreachable at this check: spend is the last total read plus"
                + " what this worker holds unwritten; period budgets were not checked"));
  }

  private RunCost check(BudgetDao dao, BudgetCheckRequest r, Instant now) {
    boolean beforeWork = r.estimateUsd() != null;
    BigDecimal estimate = beforeWork ? r.estimateUsd() : BigDecimal.ZERO;
    // what the recorder holds is read before the database: an attempt written in between is then
    // counted twice (on the safe side) rather than not at all
    BigDecimal held = unwritten.unwrittenUsd(r.runId());
    BigDecimal recorded = dao.runTotal(r.runId());
    lastRunTotal.put(r.runId(), recorded);
    BigDecimal spent = recorded.add(held);
    BigDecimal projected = spent.add(estimate);
    ExecutionLimits limits = r.limits() == null ? ExecutionLimits.NONE : r.limits();
    Map<String, String> tags = r.tags() == null ? Map.of() : r.tags();

    BudgetStatus status = BudgetStatus.OK;
    BudgetExceeded.Details exceeded = null;
    if (limits.softUsd() != null && projected.compareTo(limits.softUsd()) > 0) {
      status = BudgetStatus.WARNING;
      if (spent.compareTo(limits.softUsd()) > 0) {
        alerts.raise(
            dao, runAlert(r, "soft", BudgetStatus.WARNING, "NOTIFY", spent, limits.softUsd(), now));
      }
    }
    if (limits.hardUsd() != null && projected.compareTo(limits.hardUsd()) > 0) {
      status = BudgetStatus.EXCEEDED;
      exceeded =
          new BudgetExceeded.Details(
              "hard", limits.hardUsd(), spent, estimate, r.activityType(), r.activityId());
      if (spent.compareTo(limits.hardUsd()) > 0) {
        alerts.raise(
            dao, runAlert(r, "hard", BudgetStatus.EXCEEDED, "FAIL", spent, limits.hardUsd(), now));
      }
    }

    List<BudgetUtilisation> covering = new ArrayList<>();
    for (PeriodBudget b : BudgetDefinitions.list(dao)) {
      if (!b.scope().covers(r.workflowType(), r.taskQueue(), tags)) {
        continue;
      }
      BigDecimal periodSpent = periodSpent(dao, b, now);
      BudgetUtilisation u = utilisation(b, now, periodSpent);
      covering.add(u);
      periodAlerts(b, periodSpent, now, r.runId(), r.workflowId(), r.workflowType())
          .forEach(a -> alerts.raise(dao, a));
      if (u.reached() != null) {
        status = worst(status, u.blocking() ? BudgetStatus.BLOCKED : BudgetStatus.WARNING);
      }
      if (beforeWork && exceeded == null) {
        Optional<BudgetExceeded.Details> d =
            blockedBy(b, periodSpent, estimate, r.activityType(), r.activityId());
        if (d.isPresent()) {
          exceeded = d.get();
          status = BudgetStatus.EXCEEDED;
        }
      }
    }
    return new RunCost(
        r.runId(),
        spent,
        limits.softUsd(),
        limits.hardUsd(),
        status,
        amounts(dao.runByModel(r.runId())),
        amounts(dao.runByActivity(r.runId())),
        covering,
        exceeded,
        List.of(),
        null,
        null,
        null,
        null,
        dao.runCatalogs(r.runId()));
  }

  private static BudgetStatus worst(BudgetStatus a, BudgetStatus b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Map<String, BigDecimal> amounts(List<BudgetDao.Amount> rows) {
    Map<String, BigDecimal> m = new LinkedHashMap<>();
    rows.forEach(a -> m.put(a.name(), a.usd()));
    return m;
  }

  private static BudgetAlert runAlert(
      BudgetCheckRequest r,
      String threshold,
      BudgetStatus level,
      String action,
      BigDecimal spent,
      BigDecimal limit,
      Instant now) {
    return new BudgetAlert(
        "run:" + r.runId(),
        threshold,
        Instant.EPOCH,
        level,
        action,
        spent,
        limit,
        r.runId(),
        r.workflowId(),
        r.workflowType(),
        now);
  }

  /** A blocking threshold already reached, or that {@code estimate} would take spend past. */
  private static Optional<BudgetExceeded.Details> blockedBy(
      PeriodBudget b,
      BigDecimal spent,
      BigDecimal estimate,
      String activityType,
      String activityId) {
    for (Threshold t : b.thresholds()) {
      if (t.action() != Threshold.Action.BLOCK) {
        continue;
      }
      BigDecimal amount = t.amount(b.limitUsd());
      boolean reached = spent.compareTo(amount) >= 0;
      boolean wouldPass = estimate.signum() > 0 && spent.add(estimate).compareTo(amount) > 0;
      if (reached || wouldPass) {
        return Optional.of(
            new BudgetExceeded.Details(
                "budget:" + b.name(), amount, spent, estimate, activityType, activityId));
      }
    }
    return Optional.empty();
  }

  /**
   * Priced spend in the budget's current period. Periods are whole UTC days, so workflow-type,
   * task-queue and tenant scopes read the daily rollup (kept in the cost-write transaction, so it
   * is exact) instead of summing a period of step rows on every check; other tags sum the steps.
   */
  private static BigDecimal periodSpent(BudgetDao dao, PeriodBudget b, Instant now) {
    Instant from = b.period().start(now);
    Instant to = b.period().end(now);
    LocalDate fromDay = LocalDate.ofInstant(from, ZoneOffset.UTC);
    LocalDate toDay = LocalDate.ofInstant(to, ZoneOffset.UTC);
    BudgetScope s = b.scope();
    return switch (s.kind()) {
      case WORKFLOW_TYPE -> dao.spentByWorkflowType(s.value(), fromDay, toDay);
      case TASK_QUEUE -> dao.spentByTaskQueue(s.value(), fromDay, toDay);
      case TAG ->
          Tags.TENANT.equals(s.key())
              ? dao.spentByTenant(s.value(), fromDay, toDay)
              : dao.spentByTag(s.key(), s.value(), from, to);
    };
  }

  private static BudgetUtilisation utilisation(PeriodBudget b, Instant now, BigDecimal spent) {
    String reached = null;
    boolean blocking = false;
    for (Threshold t : b.thresholds()) {
      if (spent.compareTo(t.amount(b.limitUsd())) >= 0) {
        reached = t.label();
        blocking |= t.action() == Threshold.Action.BLOCK;
      }
    }
    BigDecimal percent =
        spent.multiply(BigDecimal.valueOf(100)).divide(b.limitUsd(), 2, RoundingMode.HALF_UP);
    return new BudgetUtilisation(
        b.name(),
        b.period(),
        b.scope().toString(),
        b.period().start(now),
        b.limitUsd(),
        spent,
        percent,
        reached,
        blocking,
        blockAt(b));
  }
}
