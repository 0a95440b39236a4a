package dev.costwise.temporal.internal;

import dev.costwise.budget.BudgetCheckActivity;
import dev.costwise.budget.BudgetCheckRequest;
import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.ExecutionLimits;
import dev.costwise.budget.RunCost;
import dev.costwise.temporal.CostFailures;
import dev.costwise.temporal.CostSearchAttributes;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.temporal.CostwiseRun;
import dev.costwise.temporal.RunSummary;
import dev.costwise.usage.Tags;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributeUpdate;
import io.temporal.common.interceptors.Header;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor.LocalActivityInput;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CompletablePromise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import io.temporal.workflow.WorkflowLocal;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * One run's budget state, living in the workflow: its limits, the latest check's report (what the
 * {@code cost} query answers) and, once a limit is exceeded, the failure the run ends with.
 *
 * <p>Checks run as local activities, so their results are markers in history and replay returns
 * them without touching the database: every decision here is a function of history. Checks are
 * guarded by the version marker {@value #CHANGE_ID}, so a run that started before the interceptor
 * (or before budgets were configured) replays exactly and never checks.
 */
public final class BudgetGuard {
  /** Version marker of the budget checks. */
  public static final String CHANGE_ID = "costwise-budget-check";

  /** Version marker of failing runs whose memo holds invalid limits or tags at their start. */
  public static final String SETTINGS_CHANGE_ID = "costwise-invalid-settings";

  /** Name of the query every run answers with its {@link RunCost}. */
  public static final String QUERY = "cost";

  private static final WorkflowLocal<BudgetGuard> CURRENT =
      WorkflowLocal.withCachedInitial(() -> null);
  private static final LocalActivityOptions CHECK_OPTIONS =
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(10))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofMillis(200))
                  .setMaximumAttempts(3)
                  .build())
          .build();

  private final CostTrackingOptions options;
  private final WorkflowOutboundCallsInterceptor next;
  private final Logger log = Workflow.getLogger(BudgetGuard.class);
  private boolean enabled;
  private boolean searchAttributes;
  private ExecutionLimits limits = ExecutionLimits.NONE;
  private Map<String, String> tags = Map.of();
  private final List<String> notes = new ArrayList<>();
  private RunCost latest;
  private ApplicationFailure failure;
  private Double upsertedCost;
  private String upsertedStatus;
  private RunSummary.EstimateLink estimate;
  private String detailsShown;

  private BudgetGuard(CostTrackingOptions options, WorkflowOutboundCallsInterceptor next) {
    this.options = options;
    this.next = next;
  }

  /** The guard of the current run, or null when Costwise's interceptor is not registered. */
  public static BudgetGuard current() {
    return CURRENT.get();
  }

  /**
   * Installs the guard at the start of a run: reads its limits, decides (with a version marker)
   * whether this run checks budgets, and registers the {@code cost} query.
   */
  static BudgetGuard install(CostTrackingOptions options, WorkflowOutboundCallsInterceptor next) {
    BudgetGuard guard = new BudgetGuard(options, next);
    CURRENT.set(guard);
    WorkflowInfo info = Workflow.getInfo();
    guard.readSettings(info.getWorkflowType());
    guard.latest = RunCost.empty(info.getRunId(), guard.limits).withNotes(guard.notes);
    next.registerQuery(
        new WorkflowOutboundCallsInterceptor.RegisterQueryInput(
            QUERY, new Class<?>[0], new java.lang.reflect.Type[0], args -> guard.latest));
    // decided once per run, so a run never switches upserts on or off midway
    guard.searchAttributes = options.searchAttributes();
    if (options.budgets() != null) {
      guard.enabled = Workflow.getVersion(CHANGE_ID, Workflow.DEFAULT_VERSION, 1) == 1;
      if (guard.enabled) {
        guard.upsert(guard.latest);
      }
    }
    guard.estimate = RunSummary.estimateFromMemo(memoOrNull(CostwiseRun.ESTIMATE_MEMO_KEY));
    guard.showDetails();
    return guard;
  }

  /**
   * Reads the run's limits and tags from its memo. Invalid settings fail the run at its start with
   * {@value CostFailures#INVALID_SETTINGS} (or, when configured, fall back to the type's defaults
   * and say so in the notes); never uncapped in silence. Runs recorded before this rule, which went
   * on with the defaults, replay as they ran: the rule is behind a version marker taken only when a
   * setting is invalid.
   */
  private void readSettings(String workflowType) {
    ExecutionLimits defaults = options.defaultLimits(workflowType);
    limits = defaults;
    List<String> problems = new ArrayList<>();
    try {
      Object memo = memo(options.budgetMemoKey());
      if (memo != null) {
        if (!(memo instanceof Map<?, ?> m)) {
          throw new IllegalArgumentException(
              "must be an object such as {\"softUsd\": \"1.00\", \"hardUsd\": \"2.00\"}");
        }
        limits = ExecutionLimits.fromMap(m).orElse(defaults);
      }
    } catch (IllegalArgumentException e) {
      problems.add("memo '" + options.budgetMemoKey() + "' " + bounded(e.getMessage()));
    }
    try {
      tags = Tags.fromJson(memo(options.tagsMemoKey()), "memo '" + options.tagsMemoKey() + "'");
    } catch (IllegalArgumentException e) {
      problems.add(bounded(e.getMessage()));
    }
    if (problems.isEmpty()) {
      return;
    }
    String problem = String.join("; ", problems);
    if (Workflow.getVersion(SETTINGS_CHANGE_ID, Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      limits = defaults; // recorded before invalid settings failed runs: replay as it ran
      return;
    }
    if (options.failOnInvalidSettings()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "Invalid Costwise settings: " + problem, CostFailures.INVALID_SETTINGS);
    }
    log.warn("Invalid Costwise settings ({}); using the defaults for {}", problem, workflowType);
    if (problems.stream().anyMatch(p -> p.startsWith("memo '" + options.budgetMemoKey()))) {
      limits = defaults;
    }
    notes.add("Invalid settings replaced by defaults: " + problem);
  }

  private static Object memo(String key) {
    try {
      return Workflow.getMemo(key, Object.class);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("cannot be read as JSON");
    }
  }

  private static Object memoOrNull(String key) {
    try {
      return memo(key);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Shows the run's summary as its current details when it changed, unless the workflow set details
   * of its own. Current details are workflow state read by the metadata query, not a command, so
   * setting them never affects replay.
   */
  private void showDetails() {
    String own = Workflow.getCurrentDetails();
    if (own != null && !own.isEmpty() && !own.equals(detailsShown)) {
      return;
    }
    String text =
        enabled ? RunSummary.of(latest, null, estimate) : RunSummary.unchecked(estimate, notes);
    if (text != null && !text.equals(detailsShown)) {
      Workflow.setCurrentDetails(text);
      detailsShown = text;
    }
  }

  private static String bounded(String s) {
    return s == null ? "is invalid" : s.length() <= 300 ? s : s.substring(0, 300) + "…";
  }

  /** The run's tags (from its memo, checked), which its activities carry in a header. */
  Map<String, String> tags() {
    return tags;
  }

  /** Whether this run checks budgets. */
  public boolean enabled() {
    return enabled;
  }

  /** The latest check's report. */
  public RunCost latest() {
    return latest;
  }

  /** The failure this run must end with, once a limit was exceeded; else null. */
  ApplicationFailure failure() {
    return failure;
  }

  /**
   * Waits for an activity's result, checks the budget, then completes {@code result}: with the
   * activity's value, its failure, or {@value BudgetExceeded#TYPE} when this activity crossed a
   * limit or was blocked by one. Runs in its own workflow thread.
   */
  <R> void afterActivity(
      String activityType,
      WorkflowOutboundCallsInterceptor.ActivityOutput<R> output,
      CompletablePromise<R> result) {
    R value = null;
    RuntimeException activityFailure = null;
    try {
      value = output.getResult().get();
    } catch (ActivityFailure e) {
      if (e.getCause() instanceof ApplicationFailure af
          && BudgetExceeded.TYPE.equals(af.getType())) {
        failure = failure != null ? failure : af;
        result.completeExceptionally(af);
        return;
      }
      activityFailure = e;
    } catch (CanceledFailure e) {
      result.completeExceptionally(e);
      return;
    } catch (RuntimeException e) {
      activityFailure = e;
    }
    String activityId = output.getActivityId();
    try {
      check(null, activityType, activityId);
    } catch (RuntimeException exceededOrBroken) {
      // never leave the caller's promise open: an uncompleted promise would hang the workflow
      result.completeExceptionally(exceededOrBroken);
      return;
    }
    if (activityFailure != null) {
      result.completeExceptionally(activityFailure);
    } else {
      result.complete(value);
    }
  }

  /** An explicit check from workflow code before spending {@code estimateUsd}. */
  public RunCost checkBefore(BigDecimal estimateUsd) {
    return check(estimateUsd, "CostBudget.check", null);
  }

  /**
   * Runs the check and returns its report.
   *
   * @param estimateUsd cost about to be spent (explicit check), or null after an activity
   * @throws ApplicationFailure of type {@value BudgetExceeded#TYPE} when a limit is exceeded
   */
  RunCost check(BigDecimal estimateUsd, String activityType, String activityId) {
    if (!enabled) {
      return latest;
    }
    if (failure != null) {
      throw failure;
    }
    WorkflowInfo info = Workflow.getInfo();
    BudgetCheckRequest request =
        new BudgetCheckRequest(
            info.getRunId(),
            info.getWorkflowId(),
            info.getWorkflowType(),
            info.getTaskQueue(),
            tags,
            limits,
            estimateUsd,
            activityType,
            activityId);
    RunCost report;
    try {
      report =
          next.executeLocalActivity(
                  new LocalActivityInput<>(
                      BudgetCheckActivity.TYPE,
                      RunCost.class,
                      RunCost.class,
                      new Object[] {request},
                      CHECK_OPTIONS,
                      Header.empty()))
              .getResult()
              .get();
    } catch (ActivityFailure e) {
      log.warn(
          "Budget check failed; run {} goes on unchecked until the next check: {}",
          info.getRunId(),
          e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
      return latest;
    }
    Objects.requireNonNull(report, "budget check returned nothing");
    if (report.exceeded() != null && estimateUsd != null) {
      // a refused estimate spent nothing: the run's standing is unchanged and the workflow may go
      // on
      throw BudgetExceeded.failure(report.exceeded());
    }
    latest = report.withNotes(notes);
    showDetails();
    upsert(report);
    if (report.exceeded() != null) {
      failure = BudgetExceeded.failure(report.exceeded());
      throw failure;
    }
    return report;
  }

  private void upsert(RunCost report) {
    if (!searchAttributes) {
      return;
    }
    List<SearchAttributeUpdate<?>> updates = new ArrayList<>();
    double cost = report.spentUsd().doubleValue();
    if (upsertedCost == null || upsertedCost != cost) {
      updates.add(CostSearchAttributes.COST_USD.valueSet(cost));
      upsertedCost = cost;
    }
    if (!report.status().name().equals(upsertedStatus)) {
      updates.add(CostSearchAttributes.COST_STATUS.valueSet(report.status().name()));
      if (upsertedStatus == null && report.hardLimitUsd() != null) {
        updates.add(
            CostSearchAttributes.COST_LIMIT_USD.valueSet(report.hardLimitUsd().doubleValue()));
      }
      upsertedStatus = report.status().name();
    }
    if (!updates.isEmpty()) {
      Workflow.upsertTypedSearchAttributes(updates.toArray(new SearchAttributeUpdate<?>[0]));
    }
  }
}
