package dev.costwise.report;

import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.RunLimits;
import dev.costwise.store.StepRow;
import dev.costwise.usage.UsageCounts;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link RunDetail} from the per-run queries: the run's lines (its primary key), its
 * estimate comparison, its limit crossings and its descendants (index lookups on parent_run_id).
 * Nothing here scans by time, so a run page costs the same on a small table as on a large one.
 */
final class RunDetails {
  /** The most runs below one run the page lists. */
  static final int MAX_TREE_RUNS = 500;

  /** The deepest level below one run the page follows. */
  static final int MAX_TREE_DEPTH = 10;

  private RunDetails() {}

  static RunDetail build(ReportDao dao, ExecutionTotals totals, ExecutionReport report) {
    ReportDao.RunLinks links =
        dao.runLinks(totals.runId())
            .orElse(new ReportDao.RunLinks(totals.runId(), null, totals.runId(), null, null, null));
    List<StepRow> lines = dao.steps(totals.runId());
    List<ReportDao.TreeRow> below =
        dao.descendants(totals.runId(), MAX_TREE_DEPTH, MAX_TREE_RUNS + 1);
    boolean truncated = below.size() > MAX_TREE_RUNS;
    if (truncated) {
      below = below.subList(0, MAX_TREE_RUNS);
    }
    List<RunDetail.ChildRun> children = tree(totals.runId(), below);
    BigDecimal subtree = totals.costUsd();
    for (RunDetail.ChildRun c : children) {
      subtree = subtree.add(c.subtreeUsd());
    }
    truncated |= below.stream().anyMatch(r -> r.depth() >= MAX_TREE_DEPTH);
    return new RunDetail(
        totals,
        links.parentRunId(),
        links.rootRunId(),
        subtree,
        report,
        stepUsage(report, lines),
        attempts(lines),
        limits(links),
        dao.crossings(totals.runId()),
        children,
        truncated);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** The run's limits from its execution row; null when they were not recorded. */
  static RunLimits limits(ReportDao.RunLinks links) {
    if (links.treeLimits() == null) {
      return null;
    }
    List<RunLimits.Covering> tree = new ArrayList<>();
    try {
      for (com.fasterxml.jackson.databind.JsonNode n : JSON.readTree(links.treeLimits())) {
        tree.add(
            new RunLimits.Covering(
                n.path("runId").asText(), decimal(n, "softUsd"), decimal(n, "hardUsd")));
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("tree_limits of run " + links.runId() + " is not JSON", e);
    }
    return new RunLimits(links.softLimitUsd(), links.hardLimitUsd(), tree);
  }

  private static BigDecimal decimal(com.fasterxml.jackson.databind.JsonNode n, String key) {
    com.fasterxml.jackson.databind.JsonNode v = n.get(key);
    return v == null || v.isNull() ? null : new BigDecimal(v.asText());
  }

  private static List<RunDetail.ChildRun> tree(String root, List<ReportDao.TreeRow> rows) {
    Map<String, List<ReportDao.TreeRow>> byParent = new HashMap<>();
    for (ReportDao.TreeRow r : rows) {
      byParent.computeIfAbsent(r.parentRunId(), k -> new ArrayList<>()).add(r);
    }
    return children(root, byParent, 0);
  }

  private static List<RunDetail.ChildRun> children(
      String parent, Map<String, List<ReportDao.TreeRow>> byParent, int depth) {
    List<RunDetail.ChildRun> out = new ArrayList<>();
    if (depth >= MAX_TREE_DEPTH) {
      return out;
    }
    for (ReportDao.TreeRow r : byParent.getOrDefault(parent, List.of())) {
      List<RunDetail.ChildRun> below = children(r.runId(), byParent, depth + 1);
      BigDecimal subtree = r.costUsd();
      for (RunDetail.ChildRun c : below) {
        subtree = subtree.add(c.subtreeUsd());
      }
      out.add(
          new RunDetail.ChildRun(
              r.runId(),
              r.workflowId(),
              r.workflowType(),
              r.costUsd(),
              subtree,
              r.firstRecordedAt(),
              below));
    }
    return out;
  }

  /** One entry per (activity id, attempt), from its lines, in start order. */
  static List<RunDetail.Attempt> attempts(List<StepRow> lines) {
    Map<String, List<StepRow>> byAttempt = new LinkedHashMap<>();
    for (StepRow s : lines) {
      byAttempt
          .computeIfAbsent(s.activityId() + '\u0000' + s.attempt(), k -> new ArrayList<>())
          .add(s);
    }
    List<RunDetail.Attempt> out = new ArrayList<>();
    for (List<StepRow> rows : byAttempt.values()) {
      StepRow first = rows.get(0);
      List<String> models = new ArrayList<>();
      BigDecimal cost = BigDecimal.ZERO;
      UsageCounts usage = UsageCounts.ZERO;
      int unpriced = 0;
      java.time.Instant ended = first.recordedAt();
      for (StepRow s : rows) {
        String model = s.pricedModel() != null ? s.pricedModel() : s.model();
        if (!models.contains(model)) {
          models.add(model);
        }
        if (s.priced()) {
          cost = cost.add(s.costUsd());
        } else {
          unpriced++;
        }
        usage = usage.plus(s.counts());
        if (s.recordedAt().isAfter(ended)) {
          ended = s.recordedAt();
        }
      }
      out.add(
          new RunDetail.Attempt(
              first.activityId(),
              first.activityType(),
              first.attempt(),
              first.outcome(),
              first.startedAt(),
              ended,
              List.copyOf(models),
              cost,
              unpriced,
              usage));
    }
    out.sort(
        java.util.Comparator.comparing(RunDetail.Attempt::startedAt)
            .thenComparing(RunDetail.Attempt::activityId)
            .thenComparingInt(RunDetail.Attempt::attempt));
    return out;
  }

  /** Usage per step, keyed as the report's steps are (activity type and priced model). */
  private static List<RunDetail.StepUsage> stepUsage(ExecutionReport report, List<StepRow> lines) {
    Map<String, List<StepRow>> byStep = new LinkedHashMap<>();
    for (StepRow s : lines) {
      String model = s.pricedModel() != null ? s.pricedModel() : s.model();
      byStep.computeIfAbsent(s.activityType() + '\u0000' + model, k -> new ArrayList<>()).add(s);
    }
    List<RunDetail.StepUsage> out = new ArrayList<>();
    for (StepComparison step : report.steps()) {
      List<StepRow> rows =
          byStep.getOrDefault(step.activityType() + '\u0000' + step.model(), List.of());
      java.util.Set<String> attempts = new java.util.HashSet<>();
      java.util.Set<String> failed = new java.util.HashSet<>();
      UsageCounts usage = UsageCounts.ZERO;
      for (StepRow s : rows) {
        String key = s.activityId() + '\u0000' + s.attempt();
        attempts.add(key);
        if (!"COMPLETED".equals(s.outcome()) && !"CANCELED".equals(s.outcome())) {
          failed.add(key);
        }
        usage = usage.plus(s.counts());
      }
      out.add(
          new RunDetail.StepUsage(
              step.activityType(), step.model(), attempts.size(), failed.size(), usage));
    }
    return out;
  }
}
