package dev.costwise.estimate;

import dev.costwise.pricing.Cost;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * Makes cost estimates. Each step (activity type and model) is estimated from history when there
 * are at least {@code minSamples} recorded priced attempts of it in the last {@code historyDays}:
 * low/expected/high are the calls times the 10th/50th/90th percentile of one attempt's cost.
 * Otherwise it is priced from the plan with the catalog: expected is the calls times the price of
 * one call; low and high use the plan's declared range of calls, or expected minus/plus the plan
 * margin when none is declared. The plan is the request's, else the one registered for the workflow
 * type; with neither, every step found in history is estimated from history alone. History is the
 * latest {@code maxSamples} priced lines of each activity type in the window.
 */
public final class CostEstimator {
  private final Jdbi jdbi;
  private final Pricer pricer;
  private final EstimateOptions options;
  private final Map<String, WorkflowEstimator> estimators;
  private final Clock clock;

  /**
   * An estimator reading history through {@code jdbi} (see {@link CostStore#jdbi}) and pricing with
   * {@code pricer}; {@code estimators} declare the expected calls of workflow types by name.
   */
  public CostEstimator(
      Jdbi jdbi,
      Pricer pricer,
      EstimateOptions options,
      Map<String, WorkflowEstimator> estimators,
      Clock clock) {
    this.jdbi = jdbi;
    this.pricer = pricer;
    this.options = options;
    this.estimators = Map.copyOf(estimators);
    this.clock = clock;
  }

  /** An estimator with default options, no registered estimators and the system clock. */
  public CostEstimator(Jdbi jdbi, Pricer pricer) {
    this(jdbi, pricer, EstimateOptions.DEFAULTS, Map.of(), Clock.systemUTC());
  }

  /**
   * Estimates one run of the request's workflow type (not saved).
   *
   * @throws EstimateException when there is no plan, no registered estimator and too little history
   */
  public Estimate estimate(EstimateRequest request) {
    int minSamples = request.minSamples() != null ? request.minSamples() : options.minSamples();
    int days = request.historyDays() != null ? request.historyDays() : options.historyDays();
    if (minSamples < 1 || days < 1) {
      throw new EstimateException("minSamples and historyDays must be 1 or more");
    }
    Instant since = clock.instant().minus(Duration.ofDays(days));
    List<HistoryDao.Stat> history =
        jdbi.withExtension(
            HistoryDao.class,
            dao ->
                dao.history(
                    request.workflowType(), since, Math.max(options.maxSamples(), minSamples)));
    Map<String, HistoryDao.Stat> byStep = new HashMap<>();
    history.forEach(s -> byStep.put(key(s.activityType(), s.model()), s));

    List<PlannedCall> plan = request.plan();
    String planSource = "request";
    if (plan.isEmpty() && estimators.containsKey(request.workflowType())) {
      plan = estimators.get(request.workflowType()).expectedCalls(request);
      planSource = "registered";
    }
    List<String> notes = new ArrayList<>();
    List<StepEstimate> steps = new ArrayList<>();
    if (plan.isEmpty()) {
      planSource = "none";
      for (HistoryDao.Stat s : history) {
        if (s.samples() >= minSamples) {
          BigDecimal calls =
              BigDecimal.valueOf(s.samples())
                  .divide(BigDecimal.valueOf(s.runs()), 6, RoundingMode.HALF_EVEN);
          steps.add(fromHistory(s.activityType(), s.provider(), s.model(), s, calls, calls, calls));
        } else {
          notes.add(
              s.activityType()
                  + " / "
                  + s.model()
                  + ": only "
                  + s.samples()
                  + " recorded attempts (need "
                  + minSamples
                  + "), left out");
        }
      }
      if (steps.isEmpty()) {
        throw new EstimateException(
            "Cannot estimate "
                + request.workflowType()
                + ": no plan was given, no estimator is registered for it, and"
                + " no step has "
                + minSamples
                + " or more recorded attempts in the last "
                + days
                + " days; pass a plan of expected calls");
      }
    } else {
      for (PlannedCall call : plan) {
        steps.add(fromPlan(call, byStep, minSamples));
      }
    }
    return assemble(request, steps, planSource, rule(minSamples, days), notes);
  }

  private StepEstimate fromPlan(
      PlannedCall call, Map<String, HistoryDao.Stat> history, int minSamples) {
    Cost cost = pricer.priceLenient(call.toUsage());
    String model = cost.pricedModel() != null ? cost.pricedModel() : call.model();
    String provider =
        !call.provider().isEmpty()
            ? call.provider()
            : cost.provider() != null ? cost.provider() : "";
    BigDecimal calls = BigDecimal.valueOf(call.repeat());
    BigDecimal fewest = BigDecimal.valueOf(call.fewestCalls());
    BigDecimal most = BigDecimal.valueOf(call.mostCalls());
    HistoryDao.Stat stat = history.get(key(call.activityType(), model));
    if (stat != null && stat.samples() >= minSamples) {
      return fromHistory(call.activityType(), provider, model, stat, fewest, calls, most);
    }
    String sparse =
        stat == null ? "no recorded attempts" : "only " + stat.samples() + " recorded attempts";
    if (!cost.priced()) {
      return new StepEstimate(
          call.activityType(),
          provider,
          model,
          EstimateSource.UNPRICED,
          calls,
          0,
          null,
          null,
          null,
          null,
          null,
          null,
          cost.unpricedReason());
    }
    BigDecimal each = cost.total();
    BigDecimal expected = each.multiply(calls);
    BigDecimal low;
    BigDecimal high;
    String note;
    if (call.declaresRange()) {
      low = each.multiply(fewest);
      high = each.multiply(most);
      note =
          "catalog price, declared "
              + call.fewestCalls()
              + ".."
              + call.mostCalls()
              + " calls; "
              + sparse;
    } else {
      low = expected.multiply(BigDecimal.ONE.subtract(options.planMargin()));
      high = expected.multiply(BigDecimal.ONE.add(options.planMargin()));
      note = "catalog price, +/-" + percent(options.planMargin()) + "%; " + sparse;
    }
    return new StepEstimate(
        call.activityType(),
        provider,
        model,
        EstimateSource.PLAN,
        calls,
        0,
        each,
        each,
        each,
        low,
        expected,
        high,
        note);
  }

  private static StepEstimate fromHistory(
      String activityType,
      String provider,
      String model,
      HistoryDao.Stat s,
      BigDecimal fewest,
      BigDecimal calls,
      BigDecimal most) {
    return new StepEstimate(
        activityType,
        provider,
        model,
        EstimateSource.HISTORY,
        calls,
        s.samples(),
        s.p10(),
        s.p50(),
        s.p90(),
        s.p10().multiply(fewest),
        s.p50().multiply(calls),
        s.p90().multiply(most),
        "p10/p50/p90 of " + s.samples() + " recorded attempts over " + s.runs() + " runs");
  }

  private static Estimate assemble(
      EstimateRequest request,
      List<StepEstimate> steps,
      String planSource,
      String rule,
      List<String> notes) {
    BigDecimal low = BigDecimal.ZERO;
    BigDecimal expected = BigDecimal.ZERO;
    BigDecimal high = BigDecimal.ZERO;
    int unpriced = 0;
    Map<String, ModelEstimate> byModel = new LinkedHashMap<>();
    for (StepEstimate s : steps) {
      if (s.source() == EstimateSource.UNPRICED) {
        unpriced++;
        notes.add(s.activityType() + " / " + s.model() + " is not priced: " + s.note());
        continue;
      }
      low = low.add(s.lowUsd());
      expected = expected.add(s.expectedUsd());
      high = high.add(s.highUsd());
      byModel.merge(
          key(s.provider(), s.model()),
          new ModelEstimate(s.provider(), s.model(), s.lowUsd(), s.expectedUsd(), s.highUsd()),
          (a, b) ->
              new ModelEstimate(
                  a.provider(),
                  a.model(),
                  a.lowUsd().add(b.lowUsd()),
                  a.expectedUsd().add(b.expectedUsd()),
                  a.highUsd().add(b.highUsd())));
    }
    return new Estimate(
        null,
        request.workflowType(),
        request.workflowId(),
        request.runId(),
        low,
        expected,
        high,
        List.copyOf(steps),
        List.copyOf(byModel.values()),
        unpriced,
        planSource,
        rule,
        List.copyOf(notes),
        null,
        null);
  }

  private String rule(int minSamples, int days) {
    return "HISTORY when an activity type and model has >= "
        + minSamples
        + " recorded attempts in the last "
        + days
        + " days: calls x p10/p50/p90 of one attempt's cost; else PLAN: calls x catalog price, low/high from the"
        + " declared repeatLow/repeatHigh or expected -/+"
        + percent(options.planMargin())
        + "%; totals are sums of the steps, unpriced steps excluded";
  }

  private static String percent(BigDecimal fraction) {
    return fraction.movePointRight(2).stripTrailingZeros().toPlainString();
  }

  private static String key(String a, String b) {
    return a + '\u0000' + b;
  }
}
