package dev.costwise.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.budget.BudgetAlert;
import dev.costwise.budget.BudgetStatus;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.pricing.Money;
import dev.costwise.report.Dashboard;
import dev.costwise.report.GroupBy;
import dev.costwise.report.PeriodTotal;
import dev.costwise.report.RunTotal;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.StepRow;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Renders what the reports and budgets return as the API's JSON: times as ISO-8601 text, money as
 * exact decimal strings. No queries here; {@link HttpApi} fetches, this only shapes.
 */
final class ApiJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How many recent over-budget failures the dashboard lists. */
  private static final int RECENT_FAILURES = 10;

  private ApiJson() {}

  /** {@code /api/totals}: the request echoed and one object per period and group. */
  static ObjectNode totals(
      String period, GroupBy groupBy, Instant from, Instant to, List<PeriodTotal> totals) {
    ObjectNode root = JSON.createObjectNode();
    root.put("period", period);
    root.put("groupBy", groupBy.key());
    root.put("from", from.toString());
    root.put("to", to.toString());
    ArrayNode rows = root.putArray("totals");
    for (PeriodTotal b : totals) {
      ObjectNode r = rows.addObject();
      r.put("period", b.periodStart().toString().substring(0, period.equals("month") ? 7 : 10));
      r.put("group", b.group());
      r.put("costUsd", Money.plain(b.costUsd()));
      r.put("usageCount", b.usageCount());
      r.put("unpricedCount", b.unpricedUsageCount());
      r.put("inputTokens", b.inputTokens());
      r.put("outputTokens", b.outputTokens());
      r.put("images", b.images());
      r.put("videoSeconds", Money.plain(b.videoSeconds()));
      r.put("characters", b.characters());
      r.put("audioSeconds", Money.plain(b.audioSeconds()));
    }
    return root;
  }

  /**
   * {@code /api/dashboard}: the report's spend series and top runs, budget utilisation and recent
   * over-budget failures, with the final spend of each over-budget run from {@code finals}; when
   * {@code filtered}, runs missing from it are left out (they do not match the overview's filter).
   */
  static ObjectNode dashboard(
      Dashboard d,
      List<BudgetUtilisation> utilisation,
      List<BudgetAlert> alerts,
      java.util.Map<String, RunTotal> finals,
      boolean filtered) {
    ObjectNode root = JSON.createObjectNode();
    root.put("from", d.from().toString());
    root.put("to", d.to().toString());
    root.put("totalUsd", Money.plain(d.totalUsd()));
    root.put("runCount", d.runCount());
    ArrayNode models = root.putArray("models");
    d.models().forEach(models::add);
    ArrayNode series = root.putArray("spendByDay");
    for (Dashboard.DaySpend day : d.spendByDay()) {
      ObjectNode n = series.addObject();
      n.put("day", day.day().toString());
      ObjectNode m = n.putObject("byModel");
      day.byModel().forEach((k, v) -> m.put(k, Money.plain(v)));
    }
    ArrayNode runs = root.putArray("topWorkflows");
    for (RunTotal r : d.topRuns()) {
      ObjectNode n = runs.addObject();
      n.put("workflowId", r.workflowId());
      n.put("workflowType", r.workflowType());
      n.put("runId", r.runId());
      n.put("costUsd", Money.plain(r.costUsd()));
      n.put("usageCount", r.usageCount());
      n.put("unpricedUsageCount", r.unpricedUsageCount());
      n.put("startedAt", r.firstRecordedAt().toString());
    }
    root.set("budgets", budgets(utilisation));
    root.set("overBudget", overBudget(alerts, d.from(), d.to(), finals, filtered));
    return root;
  }

  /** {@code /api/budgets}: period budgets and their utilisation in the current period. */
  static ArrayNode budgets(List<BudgetUtilisation> utilisation) {
    ArrayNode list = JSON.createArrayNode();
    for (BudgetUtilisation u : utilisation) {
      ObjectNode n = list.addObject();
      n.put("name", u.name());
      n.put("period", u.period().name().toLowerCase(Locale.ROOT));
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

  /**
   * Runs that failed or were blocked on a limit in [from, to), one row per run, the run with the
   * newest alert first. A run that crossed a limit and was also refused an activity is one row: the
   * limit it crossed first, with the spend at that crossing, its final spend, and the (first)
   * refusal with the refused activity, its expected cost and the spend at the refusal.
   */
  static ArrayNode overBudget(
      List<BudgetAlert> alerts,
      Instant from,
      Instant to,
      java.util.Map<String, RunTotal> finals,
      boolean filtered) {
    java.util.Map<String, List<BudgetAlert>> byRun = new java.util.LinkedHashMap<>();
    for (BudgetAlert a : overBudgetAlerts(alerts, from, to)) {
      if (!filtered || finals.containsKey(a.runId())) {
        byRun.computeIfAbsent(a.runId(), k -> new java.util.ArrayList<>()).add(a);
      }
    }
    ArrayNode list = JSON.createArrayNode();
    for (List<BudgetAlert> run : byRun.values().stream().limit(RECENT_FAILURES).toList()) {
      // newest first: the last of each kind is the first that happened
      BudgetAlert crossing = null;
      BudgetAlert refusal = null;
      for (BudgetAlert a : run) {
        if (a.refusal()) {
          refusal = a;
        } else {
          crossing = a;
        }
      }
      BudgetAlert first = crossing != null ? crossing : refusal;
      ObjectNode n = list.addObject();
      n.put("workflowId", first.workflowId());
      n.put("workflowType", first.workflowType());
      n.put("runId", first.runId());
      String reason = reason(first);
      if (crossing != null && refusal != null) {
        reason =
            refusal.createdAt().isBefore(crossing.createdAt())
                ? reason(refusal) + "; then " + reason(crossing)
                : reason(crossing) + "; then " + reason(refusal);
      }
      n.put("reason", reason);
      n.put("level", first.level().name());
      n.put("crossed", crossing != null);
      n.put("refused", refusal != null);
      if (refusal != null) {
        n.put("refusedActivityType", refusal.activityType());
        n.put("expectedUsd", Money.plain(refusal.expectedUsd()));
        n.put("refusedLimitUsd", Money.plain(refusal.limitUsd()));
        n.put("spentAtRefusalUsd", Money.plain(refusal.spentUsd()));
        n.put("refusedAt", refusal.createdAt().toString());
      }
      n.put("limitUsd", Money.plain(first.limitUsd()));
      n.put("costUsd", Money.plain(first.spentUsd()));
      n.put("spentAtCrossingUsd", Money.plain(first.spentUsd()));
      RunTotal last = finals == null ? null : finals.get(first.runId());
      if (last != null) {
        n.put("finalUsd", Money.plain(last.costUsd()));
      }
      n.put("at", first.createdAt().toString());
      n.put("alerts", run.size());
    }
    return list;
  }

  /** Why an alert's run is over budget, in a few words. */
  static String reason(BudgetAlert a) {
    if (a.refusal()) {
      String limit = a.threshold().substring(BudgetAlert.REFUSED.length());
      String which =
          limit.equals("hard")
              ? "run's hard limit"
              : limit.startsWith("tree:")
                  ? "hard limit of tree " + limit.substring("tree:".length())
                  : limit.startsWith("budget:") ? limit + " blocking threshold" : limit;
      return "refused before running: "
          + a.activityType()
          + " (expected $"
          + Money.plain(a.expectedUsd())
          + ") would cross the "
          + which;
    }
    return (a.subject().startsWith("run:")
            ? "run's " + a.threshold() + " limit"
            : a.subject() + " at " + a.threshold())
        + (a.level() == BudgetStatus.EXCEEDED
            ? ": failed with BudgetExceeded"
            : ": new work blocked");
  }

  /**
   * Crossings that failed or blocked a run in [from, to), newest first, at most 1,000 (the
   * candidates whose final spend is looked up).
   */
  static List<BudgetAlert> overBudgetAlerts(List<BudgetAlert> alerts, Instant from, Instant to) {
    return alerts.stream()
        .filter(a -> a.level() == BudgetStatus.EXCEEDED || a.level() == BudgetStatus.BLOCKED)
        .filter(a -> !a.createdAt().isBefore(from) && a.createdAt().isBefore(to))
        .sorted(Comparator.comparing(BudgetAlert::createdAt).reversed())
        .limit(1_000)
        .toList();
  }

  /** {@code /api/executions/RUN_ID} and {@code /api/workflows/ID}: one run with every line. */
  static ObjectNode execution(ExecutionTotals t, List<StepRow> steps) {
    ObjectNode root = JSON.createObjectNode();
    root.put("runId", t.runId());
    root.put("workflowId", t.workflowId());
    root.put("workflowType", t.workflowType());
    root.put("namespace", t.namespace());
    root.put("taskQueue", t.taskQueue());
    root.put("totalUsd", Money.plain(t.costUsd()));
    root.put("usageCount", t.usageCount());
    root.put("unpricedUsageCount", t.unpricedUsageCount());
    root.put("firstRecordedAt", t.firstRecordedAt().toString());
    root.put("lastRecordedAt", t.lastRecordedAt().toString());
    ArrayNode arr = root.putArray("steps");
    for (StepRow s : steps) {
      ObjectNode n = arr.addObject();
      n.put("activityId", s.activityId());
      n.put("activityType", s.activityType());
      n.put("attempt", s.attempt());
      n.put("line", s.lineNo());
      n.put("outcome", s.outcome());
      n.put("provider", s.provider());
      n.put("model", s.model());
      n.put("pricedModel", s.pricedModel());
      n.put("priced", s.priced());
      if (s.priced()) {
        n.put("costUsd", Money.plain(s.costUsd()));
      } else {
        n.put("unpricedReason", s.unpricedReason());
      }
      n.put("inputTokens", s.counts().inputTokens());
      n.put("outputTokens", s.counts().outputTokens());
      n.put("cacheReadTokens", s.counts().cacheReadTokens());
      n.put("cacheWriteTokens", s.counts().cacheWriteTokens());
      n.put("reasoningTokens", s.counts().reasoningTokens());
      n.put("images", s.counts().images());
      n.put("videoSeconds", Money.plain(s.counts().videoSeconds()));
      n.put("characters", s.counts().characters());
      n.put("audioSeconds", Money.plain(s.counts().audioSeconds()));
      if (s.counts().requests() > 0) {
        n.put("requests", s.counts().requests());
      }
      if (s.counts().webSearches() > 0) {
        n.put("webSearches", s.counts().webSearches());
        if (s.searchContextSize() != null) {
          n.put("searchContextSize", s.searchContextSize());
        }
      }
      if (s.requestCost() != null) {
        n.put("requestCostUsd", Money.plain(s.requestCost()));
      }
      if (s.webSearchCost() != null) {
        n.put("webSearchCostUsd", Money.plain(s.webSearchCost()));
      }
      n.put("startedAt", s.startedAt().toString());
      if (s.serviceTier() != null) {
        n.put("serviceTier", s.serviceTier());
      }
      if (s.pricedWith() != null && s.pricedWith().catalogHash() != null) {
        ObjectNode with = n.putObject("pricedWith");
        with.put("catalogSource", s.pricedWith().catalogSource());
        with.put("catalogAsOf", s.pricedWith().catalogAsOf());
        with.put("catalogHash", s.pricedWith().catalogHash());
        with.put("priceEntry", s.pricedWith().priceEntry());
        with.put("pricedTier", s.pricedWith().pricedTier());
      }
    }
    return root;
  }
}
