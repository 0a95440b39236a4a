package dev.costwise.temporal.internal;

import dev.costwise.budget.BudgetCheckActivity;
import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.BudgetRefusal;
import dev.costwise.budget.Budgets;
import dev.costwise.pricing.UnknownModelException;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.Outcome;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.usage.UsageExtractor;
import dev.costwise.usage.UsageReporting;
import dev.costwise.usage.UsageScope;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.client.ActivityCanceledException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowTargetOptions;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a usage scope around each activity attempt, captures usage from explicit calls and from the
 * result, and on the way out (success or failure: a failed attempt was still billed) hands the
 * priced attempt to the recorder and the meters. A cost write never fails the activity.
 */
final class CostActivityInboundInterceptor extends ActivityInboundCallsInterceptorBase {
  private static final Logger log = LoggerFactory.getLogger(CostActivityInboundInterceptor.class);

  /** Failure type of the non-retryable failure raised in strict mode. */
  static final String UNKNOWN_MODEL_FAILURE = dev.costwise.temporal.CostFailures.UNKNOWN_MODEL;

  private final CostTrackingOptions options;
  private ActivityExecutionContext context;

  CostActivityInboundInterceptor(
      ActivityInboundCallsInterceptor next, CostTrackingOptions options) {
    super(next);
    this.options = options;
  }

  @Override
  public void init(ActivityExecutionContext context) {
    this.context = context;
    super.init(context);
  }

  @Override
  public ActivityOutput execute(ActivityInput input) {
    // each header is read once per attempt
    Map<String, String> headerTags = TagsHeader.read(input.getHeader());
    RunHeader lineage = RunHeader.read(input.getHeader());
    refuseWhenBlocked(headerTags, lineage);
    Instant started = options.clock().instant();
    long startedNanos = System.nanoTime();
    AttemptContext ctx = null;
    UsageScope.Listener journal = (lineNo, line) -> {};
    try {
      ctx = attemptContext(context.getInfo(), started, lineage);
      journal = options.recorder().observe(ctx, headerTags, options.clock());
    } catch (RuntimeException e) {
      log.error("Cannot identify activity attempt for cost recording: {}", e.toString());
      options.metrics().internalError("context");
    }
    UsageScope scope = new UsageScope(options.pricer(), journal, started);
    Outcome outcome = Outcome.FAILED;
    try (CostUsage.Binding ignored = CostUsage.bind(scope)) {
      ActivityOutput output = super.execute(input);
      extract(output.getResult(), scope);
      if (options.pricer().strict() && scope.hasUnpriced()) {
        throw unknownModelFailure(scope, null);
      }
      outcome = Outcome.COMPLETED;
      return output;
    } catch (UnknownModelException e) {
      throw unknownModelFailure(scope, e);
    } catch (ActivityCanceledException | CanceledFailure e) {
      outcome = Outcome.CANCELED;
      throw e;
    } finally {
      scope.close(lateUsageHandler(context.getInfo()));
      if (!scope.isEmpty() && ctx != null) {
        persist(ctx, headerTags, scope, outcome, startedNanos);
      }
      if (ctx != null
          && options.budgets() != null
          && !options.unchecked(ctx.activityType())
          && !BudgetCheckActivity.ownType(ctx.activityType())) {
        // kept until the run settles it; unchecked types and the budget service's own (which
        // would only push the entries of activities waiting to be settled out) are never settled
        options.budgets().activityCosts().ended(ctx, outcome, scope.records());
      }
      if (ctx != null && outcome == Outcome.COMPLETED) {
        settleWhenPastGrant(input, ctx, scope.records());
      }
    }
  }

  /**
   * When the run granted this activity its reservation ({@link GrantHeader}) and this attempt cost
   * more, could not be priced, or is not the activity's first (earlier attempts were billed too),
   * signals the run to settle the activity at once, before the attempt completes: the signal is in
   * history before the result, so the run never counts the activity at its reservation. A failed
   * signal is logged and counted; the run then learns the real cost at its next settlement.
   */
  private void settleWhenPastGrant(
      ActivityInput input, AttemptContext ctx, List<PricedUsage> lines) {
    java.math.BigDecimal grant = GrantHeader.read(input.getHeader());
    if (grant == null || ctx.workflowId() == null) {
      return;
    }
    if (ctx.attempt() <= 1 && withinGrant(lines, grant)) {
      return;
    }
    try {
      // this run exactly: a stub made from a workflow id and run id signals the id's latest run,
      // which after a continue-as-new or a reset is not the run that reserved
      context
          .getWorkflowClient()
          .newUntypedWorkflowStub(
              WorkflowTargetOptions.newBuilder()
                  .setWorkflowId(ctx.workflowId())
                  .setRunId(ctx.runId())
                  .build())
          .signal(BudgetGuard.SETTLE_SIGNAL, ctx.activityId());
    } catch (WorkflowNotFoundException e) {
      // the run closed while this attempt ran (it continued as new, ended, was reset or
      // terminated): it takes no more results and reserves nothing more, so there is no one to tell
      log.debug(
          "Run {} closed before activity {} attempt {} ended; not signalled",
          ctx.runId(),
          ctx.activityId(),
          ctx.attempt());
    } catch (RuntimeException e) {
      log.error(
          "Run {} was not told that activity {} attempt {} cost more than it reserved; the run"
              + " counts it at its reservation until it next settles: {}",
          ctx.runId(),
          ctx.activityId(),
          ctx.attempt(),
          e.toString());
      options.metrics().internalError("settle-signal");
    }
  }

  private static boolean withinGrant(List<PricedUsage> lines, java.math.BigDecimal grant) {
    java.math.BigDecimal total = java.math.BigDecimal.ZERO;
    for (PricedUsage line : lines) {
      if (!line.cost().priced()) {
        return false;
      }
      total = total.add(line.cost().total());
    }
    return total.compareTo(grant) <= 0;
  }

  /**
   * Usage recorded after the attempt ended (an SDK callback completing late) is not stored with the
   * attempt's rows, which are already being written: it is logged with the attempt's identity and
   * counted as {@code costwise_usage_late_total}.
   */
  private UsageScope.LateUsageHandler lateUsageHandler(ActivityInfo info) {
    return (line, responseId) -> {
      log.warn(
          "Usage arrived after its attempt ended and was not stored: run {} activity {} ({})"
              + " attempt {}, model {}, response {}, cost {}",
          info.getWorkflowRunId() != null ? info.getWorkflowRunId() : info.getActivityRunId(),
          info.getActivityId(),
          info.getActivityType(),
          info.getAttempt(),
          line.usage().model(),
          responseId,
          line.cost().priced() ? line.cost().total().toPlainString() : "unpriced");
      options.metrics().lateUsage(info.getActivityType(), line);
    };
  }

  /**
   * Fails the attempt with a non-retryable {@code BudgetExceeded} before it runs when a blocking
   * period budget covering the run is at its threshold. Any activity may spend, so every activity
   * but the budget service's own and the types configured as unchecked is refused. A database error
   * lets the activity run (logged and counted): a budget outage must not stop the work.
   */
  private void refuseWhenBlocked(Map<String, String> tags, RunHeader lineage) {
    Budgets budgets = options.budgets();
    ActivityInfo info = context.getInfo();
    if (budgets == null
        || BudgetCheckActivity.ownType(info.getActivityType())
        || options.unchecked(info.getActivityType())) {
      return;
    }
    Optional<BudgetExceeded.Details> blocked;
    try {
      blocked =
          budgets.blocking(
              info.getWorkflowType(),
              info.getActivityTaskQueue(),
              tags,
              info.getActivityType(),
              info.getActivityId());
    } catch (RuntimeException e) {
      log.error(
          "Budget check before {} failed; running it unchecked: {}",
          info.getActivityType(),
          e.toString());
      options.metrics().internalError("budget-block-check");
      return;
    }
    if (blocked.isPresent()) {
      storeRefusal(tags, lineage, info, blocked.get());
      throw BudgetExceeded.failure(blocked.get());
    }
  }

  /**
   * Stores an activity refused here as an alert of its run, through the budget service's refusal
   * path ({@code REFUSE}, once per run and limit, the run's execution row created when it has
   * none), the same as a refusal decided in the workflow. A failure to store it is logged and
   * counted: the refusal stands either way.
   */
  private void storeRefusal(
      Map<String, String> tags, RunHeader lineage, ActivityInfo info, BudgetExceeded.Details d) {
    try {
      AttemptContext ctx = attemptContext(info, options.clock().instant(), lineage);
      options
          .budgets()
          .policy()
          .refused(
              new BudgetRefusal(
                  ctx.runId(),
                  ctx.workflowId(),
                  ctx.workflowType(),
                  d,
                  ctx.namespace(),
                  ctx.taskQueue(),
                  tags,
                  ctx.parentRunId(),
                  ctx.rootRunId(),
                  ctx.chainRunId(),
                  ctx.limits()));
    } catch (RuntimeException e) {
      log.error(
          "Refusal of {} in run {} not stored: {}",
          info.getActivityType(),
          info.getWorkflowRunId(),
          e.toString());
      options.metrics().internalError("budget-refusal");
    }
  }

  private void extract(Object result, UsageScope scope) {
    if (result == null) {
      return;
    }
    if (result instanceof UsageReporting reporting) {
      recordAll(scope, reporting.usage(), result);
    }
    for (UsageExtractor extractor : options.extractors()) {
      List<Usage> found;
      try {
        found = extractor.extract(result);
      } catch (RuntimeException e) {
        log.warn(
            "Usage extractor {} failed on {}: {}",
            extractor.getClass().getName(),
            result.getClass().getName(),
            e.toString());
        options.metrics().internalError("extractor");
        continue;
      }
      recordAll(scope, found, result);
    }
  }

  private static void recordAll(UsageScope scope, List<Usage> usages, Object result) {
    if (usages == null) {
      return;
    }
    for (Usage u : usages) {
      if (u == null) {
        continue;
      }
      try {
        scope.record(u);
      } catch (UnknownModelException e) {
        // kept in the scope as unpriced; strict mode fails the attempt after extraction
      }
    }
  }

  private RuntimeException unknownModelFailure(UsageScope scope, UnknownModelException cause) {
    String reason =
        scope.records().stream()
            .map(PricedUsage::cost)
            .filter(c -> !c.priced())
            .map(c -> c.unpricedReason())
            .findFirst()
            .orElse(cause == null ? "unpriced usage" : cause.getMessage());
    return ApplicationFailure.newNonRetryableFailureWithCause(
        "Strict pricing: " + reason, UNKNOWN_MODEL_FAILURE, cause);
  }

  private void persist(
      AttemptContext ctx,
      Map<String, String> headerTags,
      UsageScope scope,
      Outcome outcome,
      long startedNanos) {
    Map<String, String> tags = new HashMap<>(headerTags);
    tags.putAll(scope.tags());
    List<PricedUsage> lines = scope.records();
    AttemptCost attempt = new AttemptCost(ctx, outcome, lines, tags, options.clock().instant());
    try {
      options.recorder().record(attempt, writeDeadline(context.getInfo(), startedNanos));
    } catch (RuntimeException e) {
      log.error(
          "Cost of run {} activity {} attempt {} was not persisted: {}",
          ctx.runId(),
          ctx.activityId(),
          ctx.attempt(),
          e.getMessage(),
          e);
      options.metrics().persistenceFailed(false);
    }
    options.metrics().recordAttempt(ctx, lines);
    for (dev.costwise.temporal.AttemptObserver observer : options.attemptObservers()) {
      try {
        observer.attemptEnded(ctx, outcome, lines);
      } catch (RuntimeException e) {
        log.warn("Attempt observer {} failed: {}", observer.getClass().getName(), e.toString());
        options.metrics().internalError("attempt-observer");
      }
    }
  }

  /**
   * When the cost write must have returned: half of what is left of the attempt's start-to-close
   * timeout, so that tracking never makes an activity time out (and be run, and billed, again).
   * Measured from when this worker started the attempt, so the server's clock does not matter.
   */
  private static Instant writeDeadline(ActivityInfo info, long startedNanos) {
    java.time.Duration timeout = info.getStartToCloseTimeout();
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      return null;
    }
    java.time.Duration left = timeout.minusNanos(System.nanoTime() - startedNanos);
    Instant now = Instant.now();
    return left.isNegative() ? now : now.plus(left.dividedBy(2));
  }

  private static AttemptContext attemptContext(
      ActivityInfo info, Instant started, RunHeader lineage) {
    boolean standalone = info.getWorkflowRunId() == null;
    String runId = standalone ? info.getActivityRunId() : info.getWorkflowRunId();
    return new AttemptContext(
        info.getWorkflowNamespace() != null ? info.getWorkflowNamespace() : info.getNamespace(),
        standalone ? info.getActivityId() : info.getWorkflowId(),
        standalone || info.getWorkflowType() == null ? "(standalone)" : info.getWorkflowType(),
        runId,
        info.getActivityId(),
        info.getActivityType(),
        info.getAttempt(),
        info.getActivityTaskQueue(),
        started,
        lineage == null ? null : lineage.rootRunId(),
        lineage == null ? null : lineage.parentRunId(),
        lineage == null ? null : lineage.chainRunId(),
        lineage == null ? null : lineage.runLimits());
  }
}
