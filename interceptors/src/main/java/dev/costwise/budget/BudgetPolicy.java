package dev.costwise.budget;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.store.StoreErrors;
import dev.costwise.store.UnwrittenCost;
import dev.costwise.usage.Tags;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
  private final CostMetrics metrics;
  private final Clock clock;
  private final UnwrittenCost unwritten;
  private final BudgetAlerts alerts;
  private final Map<String, BigDecimal> lastRunTotal =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, BigDecimal> eldest) {
              return size() > 10_000;
            }
          });

  /** The policy; {@code unwritten} is the recorder's view of spend not yet in the database. */
  public BudgetPolicy(
      Jdbi jdbi, CostMetrics metrics, Clock clock, UnwrittenCost unwritten, BudgetAlerts alerts) {
    this.jdbi = Objects.requireNonNull(jdbi);
    this.metrics = Objects.requireNonNull(metrics);
    this.clock = Objects.requireNonNull(clock);
    this.unwritten = Objects.requireNonNull(unwritten);
    this.alerts = Objects.requireNonNull(alerts);
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
    return jdbi.withExtension(
        BudgetDao.class,
        dao -> {
          if (!dao.anyBlocking()) {
            return Optional.empty();
          }
          Instant now = clock.instant();
          for (PeriodBudget b : BudgetDefinitions.list(dao)) {
            if (b.scope().covers(workflowType, taskQueue, tags)) {
              BigDecimal spent = periodSpent(dao, b, now);
              Optional<BudgetExceeded.Details> d =
                  blockedBy(b, spent, BigDecimal.ZERO, activityType, activityId);
              if (d.isPresent()) {
                return d;
              }
            }
          }
          return Optional.empty();
        });
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
    BigDecimal recorded = dao.runTotal(r.runId());
    lastRunTotal.put(r.runId(), recorded);
    BigDecimal spent = recorded.add(unwritten.unwrittenUsd(r.runId()));
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
      for (Threshold t : b.thresholds()) {
        if (periodSpent.compareTo(t.amount(b.limitUsd())) >= 0) {
          boolean block = t.action() == Threshold.Action.BLOCK;
          alerts.raise(
              dao,
              new BudgetAlert(
                  "budget:" + b.name(),
                  t.label(),
                  b.period().start(now),
                  block ? BudgetStatus.BLOCKED : BudgetStatus.WARNING,
                  t.action().name(),
                  periodSpent,
                  t.amount(b.limitUsd()),
                  r.runId(),
                  r.workflowId(),
                  r.workflowType(),
                  now));
        }
      }
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
        List.of());
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
        blocking);
  }
}
