package dev.costwise.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.budget.BudgetAlert;
import dev.costwise.budget.BudgetStatus;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.budget.Budgets;
import dev.costwise.pricing.Money;
import dev.costwise.report.Dimension;
import dev.costwise.report.ExecutionReport;
import dev.costwise.report.Period;
import dev.costwise.store.StepRow;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;

/** The read side the HTTP API and dashboard serve: totals, top runs, steps for export. */
public final class CostReports {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TOP_MODELS = 6;

  private static final int RECENT_FAILURES = 10;

  private final Jdbi jdbi;
  private final Budgets budgets;
  private final dev.costwise.report.CostReports rollup;

  /** Reports over the cost tables reachable through {@code jdbi}. */
  public CostReports(Jdbi jdbi) {
    this.jdbi = jdbi;
    this.budgets = new Budgets(jdbi);
    this.rollup = new dev.costwise.report.CostReports(jdbi);
  }

  /**
   * Spend per period and group in [from, to). Read from the daily rollup when the range is whole
   * UTC days and the grouping is one the rollup keeps (model, provider, workflow type, activity
   * type, task queue, tenant tag, none): that never scans the step table. Other groupings (any tag,
   * namespace) and ranges that cut a day sum the step rows.
   */
  public List<ReportDao.Bucket> totals(String period, GroupBy groupBy, Instant from, Instant to) {
    if (!period.equals("day") && !period.equals("month")) {
      throw new IllegalArgumentException("period '" + period + "' must be day or month");
    }
    Optional<Dimension> rolled = rollupDimension(groupBy);
    if (rolled.isPresent() && midnight(from) && midnight(to)) {
      return rollup.totals(Period.parse(period), day(from), day(to), rolled.get()).stream()
          .map(
              t ->
                  new ReportDao.Bucket(
                      t.periodStart().atStartOfDay().toInstant(ZoneOffset.UTC),
                      t.group(),
                      t.costUsd(),
                      t.usageCount(),
                      t.unpricedUsageCount(),
                      t.inputTokens(),
                      t.outputTokens(),
                      t.images(),
                      t.videoSeconds(),
                      t.characters(),
                      t.audioSeconds()))
          .toList();
    }
    return jdbi.withExtension(ReportDao.class, dao -> dao.totals(period, groupBy.sql(), from, to));
  }

  /** The rollup dimension for a grouping, if the rollup keeps it. */
  static Optional<Dimension> rollupDimension(GroupBy groupBy) {
    return switch (groupBy.name()) {
      case "none" -> Optional.of(Dimension.NONE);
      case "model" -> Optional.of(Dimension.MODEL);
      case "provider" -> Optional.of(Dimension.PROVIDER);
      case "workflow_type" -> Optional.of(Dimension.WORKFLOW_TYPE);
      case "activity_type" -> Optional.of(Dimension.ACTIVITY_TYPE);
      case "task_queue" -> Optional.of(Dimension.TASK_QUEUE);
      case "tag:tenant" -> Optional.of(Dimension.TENANT);
      default -> Optional.empty();
    };
  }

  private static boolean midnight(Instant t) {
    return t.atZone(ZoneOffset.UTC).toLocalTime().equals(java.time.LocalTime.MIDNIGHT);
  }

  private static LocalDate day(Instant t) {
    return t.atZone(ZoneOffset.UTC).toLocalDate();
  }

  /**
   * Estimate, actual and variance of one run with its steps, from the saved estimate linked to it.
   */
  public Optional<ExecutionReport> executionReport(String runId) {
    return rollup.execution(runId);
  }

  /** The newest run of {@code workflowId} with recorded cost. */
  public Optional<ReportDao.RunCost> latestRun(String workflowId) {
    return jdbi.withExtension(ReportDao.class, dao -> dao.latestRun(workflowId)).stream()
        .findFirst();
  }

  /** How many runs of {@code workflowType} have recorded cost. */
  public long runCount(String workflowType) {
    return jdbi.withExtension(ReportDao.class, dao -> dao.runCount(workflowType));
  }

  /** Step rows recorded in [from, to), streamed; close the stream. */
  public Stream<StepRow> steps(Instant from, Instant to) {
    var handle = jdbi.open();
    return handle.attach(ReportDao.class).stepsBetween(from, to).onClose(handle::close);
  }

  /** Period budgets and their utilisation in the current period. */
  public ArrayNode budgets() {
    ArrayNode list = JSON.createArrayNode();
    for (BudgetUtilisation u : budgets.utilisation()) {
      ObjectNode n = list.addObject();
      n.put("name", u.name());
      n.put("period", u.period().name().toLowerCase(java.util.Locale.ROOT));
      n.put("scope", u.scope());
      n.put("periodStart", u.periodStart().toString());
      n.put("limitUsd", Money.plain(u.limitUsd()));
      n.put("spentUsd", Money.plain(u.spentUsd()));
      n.put("percent", Money.plain(u.percent()));
      n.put("utilisation", Money.plain(u.percent().movePointLeft(2)));
      n.put("reached", u.reached());
      n.put("blocking", u.blocking());
    }
    return list;
  }

  /** Runs that failed or were blocked on a limit in [from, to), newest first. */
  public ArrayNode overBudget(Instant from, Instant to) {
    ArrayNode list = JSON.createArrayNode();
    List<BudgetAlert> hits =
        budgets.alerts().stream()
            .filter(a -> a.level() == BudgetStatus.EXCEEDED || a.level() == BudgetStatus.BLOCKED)
            .filter(a -> !a.createdAt().isBefore(from) && a.createdAt().isBefore(to))
            .sorted(java.util.Comparator.comparing(BudgetAlert::createdAt).reversed())
            .limit(RECENT_FAILURES)
            .toList();
    for (BudgetAlert a : hits) {
      ObjectNode n = list.addObject();
      n.put("workflowId", a.workflowId());
      n.put("workflowType", a.workflowType());
      n.put("runId", a.runId());
      n.put(
          "reason",
          (a.subject().startsWith("run:")
                  ? "run's " + a.threshold() + " limit"
                  : a.subject() + " at " + a.threshold())
              + (a.level() == BudgetStatus.EXCEEDED
                  ? ": failed with BudgetExceeded"
                  : ": new work blocked"));
      n.put("level", a.level().name());
      n.put("limitUsd", Money.plain(a.limitUsd()));
      n.put("costUsd", Money.plain(a.spentUsd()));
      n.put("at", a.createdAt().toString());
    }
    return list;
  }

  /**
   * What the dashboard draws over the last {@code days} days: spend per day stacked by model (the
   * top models by spend, the rest as "other"), the most expensive runs, budget utilisation and
   * recent over-budget failures.
   */
  public ObjectNode dashboard(int days) {
    if (days < 1 || days > 366) {
      throw new IllegalArgumentException("days must be 1-366, was " + days);
    }
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    Instant to = today.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant from = today.minusDays(days - 1L).atStartOfDay().toInstant(ZoneOffset.UTC);
    List<ReportDao.Bucket> buckets = totals("day", GroupBy.parse("model"), from, to);

    Map<String, BigDecimal> byModel = new TreeMap<>();
    BigDecimal total = BigDecimal.ZERO;
    for (ReportDao.Bucket b : buckets) {
      byModel.merge(b.grp(), b.costUsd(), BigDecimal::add);
      total = total.add(b.costUsd());
    }
    List<String> top =
        byModel.entrySet().stream()
            .sorted(Map.Entry.<String, BigDecimal>comparingByValue().reversed())
            .limit(TOP_MODELS)
            .map(Map.Entry::getKey)
            .toList();
    boolean hasOther = byModel.size() > top.size();

    Map<String, Map<String, BigDecimal>> perDay = new LinkedHashMap<>();
    for (int i = 0; i < days; i++) {
      perDay.put(today.minusDays(days - 1L - i).toString(), new LinkedHashMap<>());
    }
    for (ReportDao.Bucket b : buckets) {
      String day = b.period().toString().substring(0, 10);
      String model = top.contains(b.grp()) ? b.grp() : "other";
      perDay
          .computeIfAbsent(day, d -> new LinkedHashMap<>())
          .merge(model, b.costUsd(), BigDecimal::add);
    }

    ObjectNode root = JSON.createObjectNode();
    root.put("from", from.toString());
    root.put("to", to.toString());
    root.put("totalUsd", Money.plain(total));
    long runCount = jdbi.withExtension(ReportDao.class, dao -> dao.runsBetween(from, to));
    root.put("runCount", runCount);
    ArrayNode models = root.putArray("models");
    top.forEach(models::add);
    if (hasOther) {
      models.add("other");
    }
    ArrayNode series = root.putArray("spendByDay");
    perDay.forEach(
        (day, costs) -> {
          ObjectNode d = series.addObject();
          d.put("day", day);
          ObjectNode m = d.putObject("byModel");
          costs.forEach((k, v) -> m.put(k, Money.plain(v)));
        });
    ArrayNode runs = root.putArray("topWorkflows");
    for (ReportDao.RunCost r :
        jdbi.withExtension(ReportDao.class, dao -> dao.topRuns(from, to, 10))) {
      ObjectNode n = runs.addObject();
      n.put("workflowId", r.workflowId());
      n.put("workflowType", r.workflowType());
      n.put("runId", r.runId());
      n.put("costUsd", Money.plain(r.costUsd()));
      n.put("usageCount", r.usageCount());
      n.put("unpricedUsageCount", r.unpricedUsageCount());
      n.put("startedAt", r.firstRecordedAt().toString());
    }
    root.set("budgets", budgets());
    root.set("overBudget", overBudget(from, to));
    return root;
  }
}
