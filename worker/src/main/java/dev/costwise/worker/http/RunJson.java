package dev.costwise.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.pricing.Money;
import dev.costwise.report.ExecutionReport;
import dev.costwise.report.RunDetail;
import dev.costwise.report.StepComparison;
import dev.costwise.report.UnpricedModel;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.RunLimits;
import dev.costwise.usage.UsageCounts;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Renders a {@link RunDetail} as the run page's JSON ({@code /api/executions/RUN_ID/detail}) and
 * the overview's unpriced-usage panel: times as ISO-8601 text, money as exact decimal strings. No
 * queries here.
 */
final class RunJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RunJson() {}

  static ObjectNode detail(RunDetail d) {
    ExecutionTotals t = d.totals();
    ExecutionReport r = d.report();
    ObjectNode root = JSON.createObjectNode();
    ObjectNode run = root.putObject("run");
    run.put("runId", t.runId());
    run.put("workflowId", t.workflowId());
    run.put("workflowType", t.workflowType());
    run.put("namespace", t.namespace());
    run.put("taskQueue", t.taskQueue());
    run.put("totalUsd", Money.plain(t.costUsd()));
    run.put("subtreeUsd", Money.plain(d.subtreeUsd()));
    run.put("usageCount", t.usageCount());
    run.put("unpricedUsageCount", t.unpricedUsageCount());
    run.put("firstRecordedAt", t.firstRecordedAt().toString());
    run.put("lastRecordedAt", t.lastRecordedAt().toString());
    run.put("parentRunId", d.parentRunId());
    run.put("rootRunId", d.rootRunId());
    run.set("tags", tags(t.tags()));

    ObjectNode estimate = root.putObject("estimate");
    estimate.put("estimateId", r.estimateId());
    estimate.put("lowUsd", Money.plain(r.estimatedLowUsd()));
    estimate.put("expectedUsd", Money.plain(r.estimatedUsd()));
    estimate.put("highUsd", Money.plain(r.estimatedHighUsd()));
    estimate.put("varianceUsd", Money.plain(r.varianceUsd()));
    estimate.put("variancePercent", Money.plain(r.variancePercent()));

    ArrayNode steps = root.putArray("steps");
    for (int i = 0; i < r.steps().size(); i++) {
      StepComparison s = r.steps().get(i);
      RunDetail.StepUsage u = d.stepUsage().get(i);
      ObjectNode n = steps.addObject();
      n.put("activityType", s.activityType());
      n.put("provider", s.provider());
      n.put("model", s.model());
      n.put("attempts", s.attempts());
      n.put("failedAttempts", u.failedAttempts());
      n.put("actualUsd", Money.plain(s.actualUsd()));
      n.put("unpricedUsageCount", s.unpricedUsageCount());
      n.put("estimateSource", s.source());
      n.put("estimatedUsd", Money.plain(s.estimatedUsd()));
      n.put("estimatedLowUsd", Money.plain(s.estimatedLowUsd()));
      n.put("estimatedHighUsd", Money.plain(s.estimatedHighUsd()));
      n.put("varianceUsd", Money.plain(s.varianceUsd()));
      n.set("usage", usage(u.usage()));
    }

    ArrayNode attempts = root.putArray("attempts");
    for (RunDetail.Attempt a : d.attempts()) {
      ObjectNode n = attempts.addObject();
      n.put("activityId", a.activityId());
      n.put("activityType", a.activityType());
      n.put("attempt", a.attempt());
      n.put("outcome", a.outcome());
      n.put("failedButBilled", a.failedButBilled());
      n.put("startedAt", a.startedAt().toString());
      n.put("endedAt", a.endedAt().toString());
      ArrayNode models = n.putArray("models");
      a.models().forEach(models::add);
      n.put("costUsd", Money.plain(a.costUsd()));
      n.put("unpricedUsageCount", a.unpriced());
      n.set("usage", usage(a.usage()));
    }

    ArrayNode crossings = root.putArray("budget");
    for (RunDetail.Crossing c : d.crossings()) {
      ObjectNode n = crossings.addObject();
      n.put("subject", c.subject());
      n.put("threshold", c.threshold());
      n.put("level", c.level());
      n.put("action", c.action());
      n.put("limitUsd", Money.plain(c.limitUsd()));
      n.put("spentAtCrossingUsd", Money.plain(c.spentUsd()));
      n.put("at", c.at().toString());
      n.put("refused", c.refusal());
      if (c.refusal()) {
        n.put("refusedLimit", c.refusedLimit());
        n.put("refusedActivityType", c.activityType());
        n.put("expectedUsd", Money.plain(c.expectedUsd()));
      }
    }
    root.put("budgetOutcome", outcome(d.crossings()));
    root.set("limits", limits(d));

    root.set("children", children(d.children()));
    root.put("childrenTruncated", d.childrenTruncated());

    ObjectNode links = root.putObject("links");
    String id = URLEncoder.encode(t.runId(), StandardCharsets.UTF_8).replace("+", "%20");
    links.put("json", "/api/executions/" + id);
    links.put("report", "/api/executions/" + id + "/report");
    links.put("detail", "/api/executions/" + id + "/detail");
    links.put("csv", "/api/executions/" + id + "/steps.csv");
    return root;
  }

  /**
   * The limits the run was given, crossed or not: {@code recorded} false (and nothing else) when
   * they were not stored for this run; else its own soft and hard limits (null when unset),
   * compared with the spend of the run and its children, and the ancestors' limits covering it.
   */
  private static ObjectNode limits(RunDetail d) {
    ObjectNode n = JSON.createObjectNode();
    RunLimits l = d.limits();
    n.put("recorded", l != null);
    if (l == null) {
      return n;
    }
    n.put("softUsd", Money.plain(l.softUsd()));
    n.put("hardUsd", Money.plain(l.hardUsd()));
    n.put("spentUsd", Money.plain(d.subtreeUsd()));
    ArrayNode tree = n.putArray("tree");
    for (RunLimits.Covering c : l.tree()) {
      ObjectNode t = tree.addObject();
      t.put("runId", c.runId());
      t.put("softUsd", Money.plain(c.softUsd()));
      t.put("hardUsd", Money.plain(c.hardUsd()));
    }
    return n;
  }

  /** What the run's crossings and refusals amount to, in a few words. */
  private static String outcome(List<RunDetail.Crossing> crossings) {
    if (crossings.stream().anyMatch(c -> c.level().equals("EXCEEDED") && !c.refusal())) {
      return "EXCEEDED";
    }
    if (crossings.stream().anyMatch(RunDetail.Crossing::refusal)) {
      return "REFUSED";
    }
    if (crossings.stream().anyMatch(c -> c.level().equals("BLOCKED"))) {
      return "BLOCKED";
    }
    if (crossings.stream().anyMatch(c -> c.level().equals("WARNING"))) {
      return "WARNING";
    }
    return "WITHIN_LIMITS";
  }

  private static ArrayNode children(List<RunDetail.ChildRun> children) {
    ArrayNode list = JSON.createArrayNode();
    for (RunDetail.ChildRun c : children) {
      ObjectNode n = list.addObject();
      n.put("runId", c.runId());
      n.put("workflowId", c.workflowId());
      n.put("workflowType", c.workflowType());
      n.put("costUsd", Money.plain(c.costUsd()));
      n.put("subtreeUsd", Money.plain(c.subtreeUsd()));
      n.put("firstRecordedAt", c.firstRecordedAt().toString());
      n.set("children", children(c.children()));
    }
    return list;
  }

  private static ObjectNode usage(UsageCounts u) {
    ObjectNode n = JSON.createObjectNode();
    n.put("inputTokens", u.inputTokens());
    n.put("outputTokens", u.outputTokens());
    n.put("cacheReadTokens", u.cacheReadTokens());
    n.put("cacheWriteTokens", u.cacheWriteTokens() + u.cacheWrite1hTokens());
    n.put("reasoningTokens", u.reasoningTokens());
    n.put("images", u.images());
    n.put("videoSeconds", Money.plain(u.videoSeconds()));
    n.put("characters", u.characters());
    n.put("audioSeconds", Money.plain(u.audioSeconds()));
    return n;
  }

  private static com.fasterxml.jackson.databind.JsonNode tags(String json) {
    try {
      return json == null ? JSON.createObjectNode() : JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return JSON.createObjectNode();
    }
  }

  /** The overview's unpriced-usage panel. */
  static ArrayNode unpriced(List<UnpricedModel> models) {
    ArrayNode list = JSON.createArrayNode();
    for (UnpricedModel m : models) {
      ObjectNode n = list.addObject();
      n.put("provider", m.provider());
      n.put("model", m.model());
      n.put("calls", m.unpricedUsageCount());
      n.put("runs", m.runs());
      n.put("since", instant(m.firstSeen()));
      n.put("lastSeen", instant(m.lastSeen()));
      n.put("reason", m.reason());
    }
    return list;
  }

  private static String instant(Instant t) {
    return t == null ? null : t.toString();
  }
}
