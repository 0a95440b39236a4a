package dev.costwise.temporal.internal;

import dev.costwise.budget.BudgetCheckActivity;
import dev.costwise.budget.BudgetCheckRequest;
import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.BudgetRefusal;
import dev.costwise.budget.BudgetSettleRequest;
import dev.costwise.budget.BudgetSettlement;
import dev.costwise.budget.BudgetStatus;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.budget.ExecutionLimits;
import dev.costwise.budget.ExpectedCost;
import dev.costwise.budget.LimitScope;
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
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.CompletablePromise;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import io.temporal.workflow.WorkflowLocal;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;

/**
 * One run's budget state, living in the workflow: its limits, the latest check's report (what the
 * {@code cost} query answers) and, once a limit is exceeded, the failure the run ends with.
 *
 * <p>Settlements are answered from the worker's memory in a side effect when it can, else by a
 * local activity (older runs: checks as local activities); either way the answer is a marker in
 * history and replay returns it without touching the database, so every decision here is a function
 * of history. All of it is guarded by the version marker {@value #CHANGE_ID}, so a run that started
 * before the interceptor (or before budgets were configured) replays exactly and never checks.
 */
public final class BudgetGuard {
  /** Version marker of the budget checks. */
  public static final String CHANGE_ID = "costwise-budget-check";

  /**
   * Version marker of storing an activity refused before running (a local activity after the
   * refusal). Taken at a run's first refusal only, so runs that refuse nothing record the same
   * history as before, and refusals recorded before it replay without storing.
   */
  public static final String REFUSAL_CHANGE_ID = "costwise-budget-refusal";

  /** Version marker of failing runs whose memo holds invalid limits or tags at their start. */
  public static final String SETTINGS_CHANGE_ID = "costwise-invalid-settings";

  /** Name of the query every run answers with its {@link RunCost}. */
  public static final String QUERY = "cost";

  private static final WorkflowLocal<BudgetGuard> CURRENT =
      WorkflowLocal.withCachedInitial(() -> null);
  static final LocalActivityOptions CHECK_OPTIONS =
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(10))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofMillis(200))
                  .setMaximumAttempts(3)
                  .build())
          .build();

  /** Version of {@link #CHANGE_ID} that settles each activity and reserves before it. */
  static final int SETTLING = 2;

  /**
   * Version of {@link #CHANGE_ID} that settles from the worker's memory when it can, recording the
   * answer as a side-effect marker instead of a local activity (see {@link #settle}).
   */
  static final int SETTLING_IN_WORKFLOW = 3;

  /**
   * Version of {@link #CHANGE_ID} that settles an activity in the workflow thread that completes
   * its result (see {@link #settled}), and judges a child run's end in the thread that completes
   * the child's result, where earlier versions started a workflow thread of its own for each
   * activity and child to wait for the result. The settlements are the same; their order among
   * parallel activities and children, and so the order of their markers, can differ, hence the
   * version.
   */
  static final int SETTLING_WHERE_COMPLETED = 4;

  /**
   * Version of {@link #CHANGE_ID} that settles in batches. An activity (not a local one) reserved
   * at more than zero carries its reservation as a grant ({@link GrantHeader}); an attempt that
   * cost more than its grant, could not be priced, or was not the activity's first, signals the run
   * ({@value #SETTLE_SIGNAL}) before it completes. An activity that completed without that signal
   * cost at most its reservation, so the run keeps the reservation as a provisional upper bound and
   * settles such activities later, together in one marker: when a reservation would be refused on
   * the bound, when the run's status could change, before the run waits, starts a child, continues
   * as new or ends, when {@value #MAX_HELD} are held, and at least every {@link #UPSERT_EVERY}
   * (every {@link #PERIODS_EVERY} when a blocking period budget covers the run). Any other end (a
   * failure, a signal, no grant) settles at once, with those held. Earlier versions recorded a
   * marker per activity.
   */
  static final int SETTLING_IN_BATCHES = 5;

  /** Signal by which an attempt past its grant asks its run to settle its activity at once. */
  public static final String SETTLE_SIGNAL = "costwise-settle";

  /** Most activities a run holds unsettled (their marker and the worker's memory stay small). */
  static final int MAX_HELD = 32;

  /**
   * Least workflow time between two settlements of held activities in a run covered by a blocking
   * period budget, whose spend (other runs' too) the run sees at each settlement.
   */
  static final Duration PERIODS_EVERY = Duration.ofSeconds(1);

  private static final LocalActivityOptions SETTLE_OPTIONS = BudgetGuard.CHECK_OPTIONS;

  /**
   * Least workflow time between two search-attribute upserts that only change a run's spend, in
   * runs that settle in the workflow: a status change is upserted at once, and spend held back is
   * upserted before the run waits (sleep, timer, await, child workflow), continues as new or ends.
   */
  public static final Duration UPSERT_EVERY = Duration.ofSeconds(10);

  private final CostTrackingOptions options;
  private final WorkflowOutboundCallsInterceptor next;
  private final Logger log = Workflow.getLogger(BudgetGuard.class);
  private boolean enabled;
  private int version;
  // the run's place in its tree and chain
  private String runId;
  private String rootRunId;
  private String parentRunId;
  private String chainRunId;
  private List<LimitScope> inherited = List.of();
  private BigDecimal carriedUsd = BigDecimal.ZERO;
  private ExecutionLimits carriedLimits; // the limits a continued run was handed, if any
  private boolean hasChildren;
  // what the run knows of its spend (settling runs)
  private BigDecimal ownSpent = BigDecimal.ZERO;
  private final Map<String, BigDecimal> byModel = new TreeMap<>();
  private final Map<String, BigDecimal> byActivity = new TreeMap<>();
  private final java.util.Set<dev.costwise.pricing.CatalogVersion> catalogs =
      new java.util.TreeSet<>(dev.costwise.pricing.CatalogVersion.ORDER);
  private final Map<String, BigDecimal> scopeSpent = new HashMap<>();
  private List<BudgetUtilisation> periods = List.of();
  private final Map<String, Promise<ExpectedCost>> expected = new HashMap<>();
  private final java.util.Set<String> refusalsStored = new java.util.HashSet<>();
  private BigDecimal reserved = BigDecimal.ZERO;
  // activities that completed within their grant, not settled yet (counted in reserved)
  private final List<Held> held = new ArrayList<>();
  private final java.util.Set<String> pastGrant = new java.util.HashSet<>();
  private long settledAtMillis;
  private Map<String, io.temporal.api.common.v1.Payload> activityHeader; // encoded once per run
  private final Map<String, io.temporal.api.common.v1.Payload> grants = new HashMap<>();
  private Double upsertedSubtree;
  private boolean searchAttributes;
  private ExecutionLimits limits = ExecutionLimits.NONE;
  private Map<String, String> tags = Map.of();
  private final List<String> notes = new ArrayList<>();
  private RunCost latest;
  private ApplicationFailure failure;
  private Double upsertedCost;
  private String upsertedStatus;
  private long upsertedAtMillis;
  private RunCost heldBack; // spend not yet upserted (throttled runs)
  private RunSummary.EstimateLink estimate;
  private String detailsShown;

  /** An activity that completed within its grant, and what was reserved for it. */
  private record Held(
      String activityType, String activityId, BigDecimal reservedUsd, boolean completed) {}

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
  static BudgetGuard install(
      CostTrackingOptions options, WorkflowOutboundCallsInterceptor next, Header header) {
    BudgetGuard guard = new BudgetGuard(options, next);
    CURRENT.set(guard);
    WorkflowInfo info = Workflow.getInfo();
    guard.place(info, RunHeader.read(header), TagsHeader.read(header));
    guard.readSettings(info.getWorkflowType());
    guard.latest = RunCost.empty(info.getRunId(), guard.limits).withNotes(guard.notes);
    next.registerQuery(
        new WorkflowOutboundCallsInterceptor.RegisterQueryInput(
            QUERY, new Class<?>[0], new java.lang.reflect.Type[0], args -> guard.queried()));
    // decided once per run, so a run never switches upserts on or off midway
    guard.searchAttributes = options.searchAttributes();
    if (options.budgets() != null) {
      guard.version = Workflow.getVersion(CHANGE_ID, Workflow.DEFAULT_VERSION, SETTLING_IN_BATCHES);
      guard.enabled = guard.version >= 1;
      if (guard.settlesInBatches()) {
        guard.settledAtMillis = Workflow.currentTimeMillis();
        next.registerSignalHandlers(
            new WorkflowOutboundCallsInterceptor.RegisterSignalHandlersInput(
                List.of(
                    new WorkflowOutboundCallsInterceptor.SignalRegistrationRequest(
                        SETTLE_SIGNAL,
                        "Costwise: an activity's attempt cost more than its run reserved",
                        io.temporal.workflow.HandlerUnfinishedPolicy.ABANDON,
                        new Class<?>[] {String.class},
                        new java.lang.reflect.Type[] {String.class},
                        args -> guard.pastGrant.add((String) args[0])))));
      }
      if (guard.settling()) {
        guard.latest = guard.report(null);
      }
      if (guard.enabled) {
        guard.upsert(guard.latest);
      }
    }
    guard.estimate = RunSummary.estimateFromMemo(memoOrNull(CostwiseRun.ESTIMATE_MEMO_KEY));
    guard.showDetails();
    return guard;
  }

  /**
   * Where the run stands in its tree and chain: from the header of the run that started it (a
   * parent or the run it continues), else at the top of its own tree. Tags in the header are the
   * starting run's; the run's own memo tags are added over them by {@link #readSettings}.
   */
  private void place(WorkflowInfo info, RunHeader header, Map<String, String> headerTags) {
    runId = info.getRunId();
    tags = headerTags;
    if (header == null) {
      rootRunId = runId;
      chainRunId = runId;
      parentRunId = info.getParentRunId().orElse(null);
      return;
    }
    rootRunId = header.rootRunId();
    parentRunId = header.parentRunId();
    inherited = header.scopes();
    if (RunHeader.CONTINUED.equals(header.kind()) && header.chainRunId() != null) {
      chainRunId = header.chainRunId();
      carriedUsd = header.carriedUsd() == null ? BigDecimal.ZERO : header.carriedUsd();
      carriedLimits = header.limits();
    } else {
      chainRunId = runId;
    }
  }

  /** Whether this run settles each activity and reserves before it (else: checks after it). */
  boolean settling() {
    return enabled && version >= SETTLING;
  }

  /**
   * Whether this run settles an activity, or judges a child's end, in the workflow thread that
   * completes its result, rather than in a workflow thread started to wait for it.
   */
  boolean settlesWhereCompleted() {
    return enabled && version >= SETTLING_WHERE_COMPLETED;
  }

  /**
   * The header value of the grant an activity reserved at {@code reservedUsd} carries in this run,
   * or null when it carries none (runs before {@link #SETTLING_IN_BATCHES}, nothing reserved).
   */
  io.temporal.api.common.v1.Payload grant(BigDecimal reservedUsd) {
    if (!settlesInBatches() || reservedUsd.signum() <= 0) {
      return null;
    }
    return grants.computeIfAbsent(
        reservedUsd.toPlainString(), k -> GrantHeader.encode(reservedUsd));
  }

  private boolean settlesInBatches() {
    return enabled && version >= SETTLING_IN_BATCHES;
  }

  /**
   * Reads the run's limits and tags from its memo. Invalid settings fail the run at its start with
   * {@value CostFailures#INVALID_SETTINGS} (or, when configured, fall back to the type's defaults
   * and say so in the notes); never uncapped in silence. Runs recorded before this rule, which went
   * on with the defaults, replay as they ran: the rule is behind a version marker taken only when a
   * setting is invalid.
   */
  private void readSettings(String workflowType) {
    ExecutionLimits defaults =
        carriedLimits != null ? carriedLimits : options.defaultLimits(workflowType);
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
      Map<String, String> own =
          Tags.fromJson(memo(options.tagsMemoKey()), "memo '" + options.tagsMemoKey() + "'");
      if (!tags.isEmpty() && !own.isEmpty()) {
        Map<String, String> merged = new TreeMap<>(tags);
        merged.putAll(own); // the run's own tags win over those it inherited
        tags = Map.copyOf(merged);
      } else if (!own.isEmpty()) {
        tags = own;
      }
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
    BigDecimal subtree =
        latest != null && (hasChildren || carriedUsd.signum() != 0)
            ? latest.subtreeSpentUsd()
            : null;
    String text =
        enabled ? RunSummary.of(latest, subtree, estimate) : RunSummary.unchecked(estimate, notes);
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
    if (settling()) {
      return checkBeforeSettling(estimateUsd);
    }
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

  // ---------------------------------------------------------------------------------------------
  // Settling runs: a reservation before each cost-bearing activity, a settlement after it.

  /** The run's tags, its lineage and the limits covering it, for a child workflow it starts. */
  Header childHeader(Header header) {
    hasChildren = true;
    List<LimitScope> scopes = new ArrayList<>(inherited);
    LimitScope own = ownScope();
    if (own.limited()) {
      scopes.add(own);
    }
    Header h =
        new RunHeader(RunHeader.CHILD, rootRunId, runId, null, scopes, null, null).addTo(header);
    return tags.isEmpty() ? h : TagsHeader.with(h, tags);
  }

  /**
   * The same for the run this one continues as: its chain, and what the chain spent so far. The
   * activities still running (the held ones are settled before this) are abandoned by the run but
   * still bill, and no later settlement of this run will count them: they are carried at what was
   * reserved for them, so that the chain's figure never drops at a continue-as-new.
   */
  Header continuedHeader(Header header) {
    Header h =
        new RunHeader(
                RunHeader.CONTINUED,
                rootRunId,
                parentRunId,
                chainRunId,
                inherited,
                settling() ? subtreeSpent().add(reserved) : carriedUsd,
                limits)
            .addTo(header);
    return tags.isEmpty() ? h : TagsHeader.with(h, tags);
  }

  /**
   * The lineage an activity of this run carries, so its cost rows know their tree, with the limits
   * covering the run, which the store keeps with the run's totals.
   */
  Header activityHeader(Header header) {
    if (activityHeader == null) {
      // the run's tags, place and limits are fixed once it started: encoded once, not per activity
      Header h =
          new RunHeader(
                  RunHeader.ACTIVITY, rootRunId, parentRunId, chainRunId, inherited, null, limits)
              .addTo(Header.empty());
      activityHeader = Map.copyOf((tags.isEmpty() ? h : TagsHeader.with(h, tags)).getValues());
    }
    Map<String, io.temporal.api.common.v1.Payload> values = new HashMap<>(header.getValues());
    values.putAll(activityHeader);
    return new Header(values);
  }

  private LimitScope ownScope() {
    return new LimitScope(chainRunId, limits);
  }

  /** What the run's own limits are compared with: its chain's spend and its children's. */
  private BigDecimal subtreeSpent() {
    BigDecimal own = carriedUsd.add(ownSpent);
    BigDecimal read = hasChildren ? scopeSpent.get(chainRunId) : null;
    return read != null && read.compareTo(own) > 0 ? read : own;
  }

  /**
   * Before a cost-bearing activity of {@code activityType} is scheduled: reserves its expected
   * cost, or returns the failure refusing it when the reservation would take a limit covering the
   * run past its hard amount (or a period budget past its blocking threshold). Runs in the calling
   * workflow thread; the first activity of a type asks the budget service what the type costs.
   *
   * @return null when reserved (the amount is {@link #reservation}), else the refusal
   */
  ApplicationFailure reserve(String activityType) {
    if (failure != null) {
      return failure;
    }
    ExpectedCost e = expectedCost(activityType);
    BudgetExceeded.Details refused = refusal(activityType, e.usd());
    if (refused != null && !held.isEmpty()) {
      settleHeld(); // the held reservations are upper bounds: their real cost may leave room
      if (failure != null) {
        return failure;
      }
      refused = refusal(activityType, e.usd());
    }
    if (refused != null) {
      ApplicationFailure f = BudgetExceeded.failure(refused);
      latest = report(null).withNotes(List.of(f.getOriginalMessage()));
      showDetails();
      storeRefusal(refused);
      return f;
    }
    reserved = reserved.add(e.usd());
    latest = report(null);
    return null;
  }

  /**
   * Asks the budget service (a local activity, recorded in history) to store a refusal as an alert
   * of this run, once per limit, so that the run is listed with those that failed on a limit
   * although nothing crossed one. A failing service is logged: the refusal stands either way.
   */
  private void storeRefusal(BudgetExceeded.Details refused) {
    if (Workflow.getVersion(REFUSAL_CHANGE_ID, Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      return; // refused before refusals were stored: replay as it ran
    }
    if (!refusalsStored.add(refused.limit())) {
      return; // stored once per limit: a run refused again on it has nothing new to say
    }
    WorkflowInfo info = Workflow.getInfo();
    try {
      next.executeLocalActivity(
              new LocalActivityInput<>(
                  BudgetCheckActivity.REFUSED_TYPE,
                  Void.class,
                  Void.class,
                  new Object[] {
                    new BudgetRefusal(
                        info.getRunId(),
                        info.getWorkflowId(),
                        info.getWorkflowType(),
                        refused,
                        info.getNamespace(),
                        info.getTaskQueue(),
                        tags,
                        parentRunId,
                        rootRunId,
                        chainRunId,
                        RunHeader.runLimits(limits, inherited))
                  },
                  SETTLE_OPTIONS,
                  Header.empty()))
          .getResult()
          .get();
    } catch (ActivityFailure e) {
      log.warn(
          "Refusal of {} in run {} not stored: {}",
          refused.activityType(),
          info.getRunId(),
          e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
    }
  }

  /** The amount {@link #reserve} reserved for {@code activityType}. */
  BigDecimal reservation(String activityType) {
    Promise<ExpectedCost> p = expected.get(activityType);
    return p == null ? BigDecimal.ZERO : p.get().usd();
  }

  private ExpectedCost expectedCost(String activityType) {
    Promise<ExpectedCost> p = expected.get(activityType);
    if (p == null) {
      CompletablePromise<ExpectedCost> answer = Workflow.newPromise();
      expected.put(activityType, answer);
      BudgetSettlement s = settle(null, null, List.of(activityType));
      ExpectedCost e = s.expected().getOrDefault(activityType, ExpectedCost.unknown());
      if (ExpectedCost.NONE.equals(e.source())) {
        addNote(
            "No expected cost known for "
                + activityType
                + " (none declared, too little history): reserved at $0");
      }
      answer.complete(e);
      p = answer;
    }
    return p.get();
  }

  /** What a reservation of {@code usd} would cross, if anything. */
  private BudgetExceeded.Details refusal(String activityType, BigDecimal usd) {
    BigDecimal own = subtreeSpent().add(reserved);
    if (limits.hardUsd() != null && own.add(usd).compareTo(limits.hardUsd()) > 0) {
      return new BudgetExceeded.Details(
          "hard", limits.hardUsd(), own, usd, activityType, null, true);
    }
    for (LimitScope s : inherited) {
      BigDecimal spent = scopeSpent.getOrDefault(s.chainRunId(), BigDecimal.ZERO).add(reserved);
      if (s.limits().hardUsd() != null && spent.add(usd).compareTo(s.limits().hardUsd()) > 0) {
        return new BudgetExceeded.Details(
            BudgetExceeded.TREE + s.chainRunId(),
            s.limits().hardUsd(),
            spent,
            usd,
            activityType,
            null,
            true);
      }
    }
    for (BudgetUtilisation b : periods) {
      if (b.blockAtUsd() == null) {
        continue;
      }
      BigDecimal spent = b.spentUsd().add(reserved);
      if (b.blocking() || spent.add(usd).compareTo(b.blockAtUsd()) > 0) {
        return new BudgetExceeded.Details(
            BudgetExceeded.BUDGET + b.name(), b.blockAtUsd(), spent, usd, activityType, null, true);
      }
    }
    return null;
  }

  /**
   * Settles an activity whose result is known ({@code value}, or its failure {@code outcome}),
   * releasing its reservation, then completes {@code result}: with the activity's value, its
   * failure, or {@value BudgetExceeded#TYPE} when the activity took a limit covering the run past
   * its hard amount. Blocks the calling workflow thread while the settlement is recorded.
   */
  <R> void settled(
      String activityType,
      BigDecimal reservedUsd,
      boolean granted,
      String activityId,
      R value,
      RuntimeException outcome,
      CompletablePromise<R> result) {
    boolean signalled = pastGrant.remove(activityId);
    if (outcome instanceof ActivityFailure e
        && e.getCause() instanceof ApplicationFailure af
        && BudgetExceeded.TYPE.equals(af.getType())) {
      reserved = reserved.subtract(reservedUsd); // blocked before running: nothing spent
      failure = failure != null ? failure : af;
      result.completeExceptionally(af);
      return;
    }
    if (granted && outcome == null && !signalled && !settleNow(reservedUsd)) {
      // it cost at most its reservation, which stays counted until the held ones are settled
      held.add(new Held(activityType, activityId, reservedUsd, true));
      result.complete(value);
      return;
    }
    RuntimeException activityFailure = outcome;
    RuntimeException exceeded = null;
    try {
      settleAndJudge(activityType, activityId, reservedUsd, activityFailure == null);
    } catch (RuntimeException e) {
      exceeded = e;
    }
    if (exceeded != null && !(activityFailure instanceof CanceledFailure)) {
      result.completeExceptionally(exceeded);
    } else if (activityFailure != null) {
      result.completeExceptionally(activityFailure);
    } else {
      result.complete(value);
    }
  }

  /**
   * The failure this run takes from a child's: a child stopped by this run's own limit (which
   * covers the child as part of this run's tree) stops this run too; else null.
   */
  ApplicationFailure fromChild(RuntimeException childFailure) {
    if (!(childFailure instanceof ChildWorkflowFailure cf)
        || !(cf.getCause() instanceof ApplicationFailure af)
        || !BudgetExceeded.TYPE.equals(af.getType())) {
      return null;
    }
    BudgetExceeded.Details d;
    try {
      d = af.getDetails().get(BudgetExceeded.Details.class);
    } catch (RuntimeException unreadable) {
      return null;
    }
    if (d == null || !(BudgetExceeded.TREE + chainRunId).equals(d.limit())) {
      return null;
    }
    if (failure == null) {
      BudgetExceeded.Details own =
          new BudgetExceeded.Details(
              "hard",
              d.limitUsd(),
              d.spentUsd(),
              d.estimateUsd(),
              d.activityType(),
              d.activityId(),
              d.refused());
      failure = BudgetExceeded.failure(own);
      latest = report(own);
      upsert(latest);
    }
    return failure;
  }

  /** After a child run ended: reads the subtree's spend again and judges the limits. */
  void childEnded() {
    settleAndJudge(null, null, BigDecimal.ZERO, false);
  }

  private void settleAndJudge(
      String activityType, String activityId, BigDecimal reservedUsd, boolean completed) {
    if (held.isEmpty()) {
      try {
        settle(activityType, activityId, List.of(), completed);
      } finally {
        reserved = reserved.subtract(reservedUsd);
      }
    } else if (activityId == null) {
      settleHeldOnly();
      settle(activityType, null, List.of(), completed);
    } else {
      held.add(new Held(activityType, activityId, reservedUsd, completed)); // with those held
      settleHeldOnly();
    }
    BudgetExceeded.Details d = crossed(activityType, activityId);
    latest = report(d);
    upsert(latest);
    if (d != null) {
      failure = failure != null ? failure : BudgetExceeded.failure(d);
      throw failure;
    }
  }

  /** A hard limit the run's known spend is past, if any. */
  private BudgetExceeded.Details crossed(String activityType, String activityId) {
    BigDecimal own = subtreeSpent();
    if (limits.hardUsd() != null && own.compareTo(limits.hardUsd()) > 0) {
      return new BudgetExceeded.Details(
          "hard", limits.hardUsd(), own, BigDecimal.ZERO, activityType, activityId);
    }
    for (LimitScope s : inherited) {
      BigDecimal spent = scopeSpent.get(s.chainRunId());
      if (spent != null
          && s.limits().hardUsd() != null
          && spent.compareTo(s.limits().hardUsd()) > 0) {
        return new BudgetExceeded.Details(
            BudgetExceeded.TREE + s.chainRunId(),
            s.limits().hardUsd(),
            spent,
            BigDecimal.ZERO,
            activityType,
            activityId);
      }
    }
    return null;
  }

  /**
   * Asks the budget service (a local activity, recorded in history) to settle {@code activityId}
   * (null: settle nothing) and answer what the run needs; folds the answer into the run's state. A
   * failing service leaves the state as it was (logged): work goes on, as with the checks.
   */
  private BudgetSettlement settle(String activityType, String activityId, List<String> types) {
    return settle(activityType, activityId, types, null);
  }

  private BudgetSettlement settle(
      String activityType, String activityId, List<String> types, Boolean completed) {
    BudgetSettleRequest request =
        request(activityType, activityId, types, completed, subtreeSpent());
    // the tree's spend is only in the store: asking memory first would record a marker in vain
    BudgetSettlement s =
        version >= SETTLING_IN_WORKFLOW && request.readScopes().isEmpty()
            ? fromMemory(request)
            : null;
    s = s != null ? s : throughStore(request);
    fold(s, activityType);
    return s;
  }

  private BudgetSettleRequest request(
      String activityType,
      String activityId,
      List<String> types,
      Boolean completed,
      BigDecimal ownSpentUsd) {
    WorkflowInfo info = Workflow.getInfo();
    List<LimitScope> scopes = new ArrayList<>();
    scopes.add(ownScope());
    scopes.addAll(inherited);
    List<String> read = new ArrayList<>();
    if (hasChildren) {
      read.add(chainRunId);
    }
    for (LimitScope s : inherited) {
      if (s.limited()) {
        read.add(s.chainRunId());
      }
    }
    return new BudgetSettleRequest(
        info.getRunId(),
        info.getWorkflowId(),
        info.getWorkflowType(),
        info.getTaskQueue(),
        tags,
        rootRunId,
        scopes,
        read,
        ownSpentUsd,
        activityType,
        activityId,
        types,
        completed);
  }

  /** The budget service's answer through the store (a local activity); empty when it failed. */
  private BudgetSettlement throughStore(BudgetSettleRequest request) {
    BudgetSettlement s =
        askStore(BudgetCheckActivity.SETTLE_TYPE, BudgetSettlement.class, request, request.runId());
    return s != null ? s : unanswered();
  }

  /** A settlement that settles nothing and keeps the run's figures (the store could not answer). */
  private BudgetSettlement unanswered() {
    return new BudgetSettlement(null, null, 0, null, periods, null, List.of());
  }

  /**
   * The budget service's answer to {@code request} through the store, a local activity of {@code
   * type}; null when it failed, which is logged: work goes on, as with the checks.
   */
  private <T> T askStore(String type, Class<T> answer, Object request, String runId) {
    try {
      return Objects.requireNonNull(
          next.executeLocalActivity(
                  new LocalActivityInput<>(
                      type, answer, answer, new Object[] {request}, SETTLE_OPTIONS, Header.empty()))
              .getResult()
              .get(),
          "budget settlement returned nothing");
    } catch (ActivityFailure e) {
      log.warn(
          "Budget settlement failed; run {} keeps its last figures: {}",
          runId,
          e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
      return null;
    }
  }

  /**
   * Folds a settlement of an activity of {@code activityType} (or of none) into the run's state.
   */
  private void fold(BudgetSettlement s, String activityType) {
    ownSpent = ownSpent.add(s.activityUsd());
    s.activityByModel().forEach((m, usd) -> byModel.merge(m, usd, BigDecimal::add));
    for (dev.costwise.pricing.CatalogVersion c : s.activityCatalogs()) {
      if (catalogs.size() < dev.costwise.store.ActivityCosts.MAX_CATALOGS) {
        catalogs.add(c);
      }
    }
    if (activityType != null && s.activityUsd().signum() != 0) {
      byActivity.merge(activityType, s.activityUsd(), BigDecimal::add);
    }
    scopeSpent.putAll(s.scopeSpentUsd());
    periods = s.budgets();
    s.notes().forEach(this::addNote);
    if (settlesInBatches()) {
      settledAtMillis = Workflow.currentTimeMillis();
    }
  }

  /**
   * Whether an activity that completed within its grant must be settled now rather than held: the
   * run's tree spend is read from the store at every settlement anyway, a limit is already past,
   * enough are held, the last settlement is too old (see {@link #SETTLING_IN_BATCHES}), or the held
   * reservations could take the run past its soft limit, whose warning must not wait.
   */
  private boolean settleNow(BigDecimal reservedUsd) {
    if (failure != null || readsTree()) {
      return true;
    }
    if (held.size() + 1 >= MAX_HELD) {
      return true;
    }
    long since = Workflow.currentTimeMillis() - settledAtMillis;
    boolean blocking = periods.stream().anyMatch(b -> b.blockAtUsd() != null);
    if (since >= UPSERT_EVERY.toMillis() || (blocking && since >= PERIODS_EVERY.toMillis())) {
      return true;
    }
    if (limits.softUsd() == null || latest.status() != BudgetStatus.OK) {
      return false;
    }
    return subtreeSpent().add(reservedUsd).add(heldReserved()).compareTo(limits.softUsd()) > 0;
  }

  /**
   * Settles the activities held (none: nothing happens), then judges the limits; a limit found past
   * (possible only when an attempt past its grant could not signal its run) fails the run at its
   * next activity or its end, never here, since this runs before the run waits.
   */
  void settleHeld() {
    if (held.isEmpty()) {
      return;
    }
    settleHeldOnly();
    BudgetExceeded.Details d = crossed(null, null);
    latest = report(d);
    upsert(latest);
    if (d != null && failure == null) {
      failure = BudgetExceeded.failure(d);
    }
  }

  /**
   * Settles every activity held: answered from memory in one marker when the worker can, and what
   * memory could not answer through the store in one local activity ({@value
   * BudgetCheckActivity#SETTLE_ALL_TYPE}), whatever the number.
   */
  private void settleHeldOnly() {
    List<Held> batch = List.copyOf(held);
    held.clear();
    try {
      BudgetSettlement[] answers =
          readsTree() ? new BudgetSettlement[batch.size()] : fromMemory(batch);
      List<Held> rest = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        if (i < answers.length && answers[i] != null) {
          fold(answers[i], batch.get(i).activityType());
        } else {
          rest.add(batch.get(i));
        }
      }
      if (rest.isEmpty()) {
        return;
      }
      BudgetSettleRequest[] requests = new BudgetSettleRequest[rest.size()];
      for (int i = 0; i < requests.length; i++) {
        Held h = rest.get(i);
        requests[i] =
            request(h.activityType(), h.activityId(), List.of(), h.completed(), subtreeSpent());
      }
      BudgetSettlement[] stored = throughStore(requests);
      for (int i = 0; i < requests.length; i++) {
        fold(stored[i], rest.get(i).activityType());
      }
    } finally {
      for (Held h : batch) {
        reserved = reserved.subtract(h.reservedUsd());
      }
    }
  }

  /** Whether the run's settlements read its tree's spend from the store (memory cannot answer). */
  private boolean readsTree() {
    return hasChildren || inherited.stream().anyMatch(LimitScope::limited);
  }

  /**
   * The budget service's answers to {@code requests}, in order, through the store in one local
   * activity; ones that settle nothing when it failed (logged), as for one settlement.
   */
  private BudgetSettlement[] throughStore(BudgetSettleRequest[] requests) {
    BudgetSettlement[] answers =
        askStore(
            BudgetCheckActivity.SETTLE_ALL_TYPE,
            BudgetSettlement[].class,
            requests,
            requests[0].runId());
    if (answers == null || answers.length != requests.length) {
      answers = new BudgetSettlement[requests.length];
      java.util.Arrays.fill(answers, unanswered());
    }
    return answers;
  }

  /**
   * The settlement the worker answers from memory (see {@code BudgetPolicy#settleFromMemory}),
   * recorded as a side-effect marker so that replay returns it; null, recorded as well, when the
   * worker needs the store, and the caller then settles through the local activity. The policy runs
   * in the workflow thread, which it never blocks; anything it throws is logged and taken as null.
   */
  private BudgetSettlement fromMemory(BudgetSettleRequest request) {
    dev.costwise.budget.BudgetPolicy policy = options.budgets().policy();
    return next.sideEffect(
        BudgetSettlement.class,
        BudgetSettlement.class,
        () -> {
          try {
            return policy
                .settleFromMemory(request)
                .map(s -> withoutHeldCatalogs(s, catalogs))
                .orElse(null);
          } catch (RuntimeException e) {
            log.warn("Settlement from memory failed, settling through the store: {}", e.toString());
            return null;
          }
        });
  }

  /**
   * The settlements of {@code batch} the worker answers from memory, in order, recorded together as
   * one side-effect marker; null for each it cannot answer (settled through the store after). Each
   * request counts the spend of those answered before it, as one settlement after another would.
   */
  private BudgetSettlement[] fromMemory(List<Held> batch) {
    dev.costwise.budget.BudgetPolicy policy = options.budgets().policy();
    return next.sideEffect(
        BudgetSettlement[].class,
        BudgetSettlement[].class,
        () -> {
          BudgetSettlement[] answers = new BudgetSettlement[batch.size()];
          BigDecimal spent = subtreeSpent();
          java.util.Set<dev.costwise.pricing.CatalogVersion> known =
              new java.util.TreeSet<>(dev.costwise.pricing.CatalogVersion.ORDER);
          known.addAll(catalogs);
          for (int i = 0; i < answers.length; i++) {
            Held h = batch.get(i);
            try {
              BudgetSettlement s =
                  policy
                      .settleFromMemory(
                          request(
                              h.activityType(), h.activityId(), List.of(), h.completed(), spent))
                      .orElse(null);
              if (s != null) {
                answers[i] = withoutHeldCatalogs(s, known);
                known.addAll(s.activityCatalogs());
                spent = spent.add(s.activityUsd());
              }
            } catch (RuntimeException e) {
              log.warn(
                  "Settlement from memory failed, settling through the store: {}", e.toString());
            }
          }
          return answers;
        });
  }

  /**
   * {@code s} without the catalog versions the run already holds. Adding one again would change
   * nothing (the run keeps them as a set), yet every settlement's marker would carry it again, the
   * catalog's whole source text included. Replay reads the marker as recorded, and a worker that
   * recorded full settlements folds them in the same way, so this needs no version of its own.
   */
  private static BudgetSettlement withoutHeldCatalogs(
      BudgetSettlement s, java.util.Set<dev.costwise.pricing.CatalogVersion> catalogs) {
    if (s.activityCatalogs().stream().noneMatch(catalogs::contains)) {
      return s;
    }
    return new BudgetSettlement(
        s.activityUsd(),
        s.activityByModel(),
        s.activityUnpriced(),
        s.scopeSpentUsd(),
        s.budgets(),
        s.expected(),
        s.notes(),
        s.activityCatalogs().stream().filter(c -> !catalogs.contains(c)).toList());
  }

  private void addNote(String note) {
    if (!notes.contains(note) && notes.size() < 20) {
      notes.add(note);
    }
  }

  /**
   * What the {@code cost} query answers: the latest report, with what the activities held for a
   * batch reserved when the run settles in batches. Computed here rather than in every report, so
   * that holding an activity costs its workflow thread nothing more.
   */
  private RunCost queried() {
    return settlesInBatches() ? latest.withHeld(heldReserved()) : latest;
  }

  /** What was reserved for the activities held for the next batch. */
  private BigDecimal heldReserved() {
    BigDecimal sum = BigDecimal.ZERO;
    for (Held h : held) {
      sum = sum.add(h.reservedUsd());
    }
    return sum;
  }

  /** The run's report from what it knows. */
  private RunCost report(BudgetExceeded.Details exceeded) {
    BigDecimal subtree = subtreeSpent();
    BudgetStatus status = BudgetStatus.OK;
    if (limits.softUsd() != null && subtree.compareTo(limits.softUsd()) > 0) {
      status = BudgetStatus.WARNING;
    }
    for (LimitScope s : inherited) {
      BigDecimal spent = scopeSpent.get(s.chainRunId());
      if (spent != null
          && s.limits().softUsd() != null
          && spent.compareTo(s.limits().softUsd()) > 0) {
        status = BudgetStatus.WARNING;
      }
    }
    for (BudgetUtilisation b : periods) {
      if (b.reached() != null) {
        BudgetStatus level = b.blocking() ? BudgetStatus.BLOCKED : BudgetStatus.WARNING;
        status = status.compareTo(level) >= 0 ? status : level;
      }
    }
    if (exceeded != null || failure != null) {
      status = BudgetStatus.EXCEEDED;
    }
    BudgetExceeded.Details shown = exceeded;
    if (shown == null && failure != null && latest != null) {
      shown = latest.exceeded();
    }
    return new RunCost(
        runId,
        ownSpent,
        limits.softUsd(),
        limits.hardUsd(),
        status,
        Map.copyOf(byModel),
        Map.copyOf(byActivity),
        periods,
        shown,
        List.copyOf(notes),
        rootRunId,
        parentRunId,
        subtree,
        reserved,
        List.copyOf(catalogs));
  }

  /**
   * An explicit check from workflow code in a settling run: reads the figures the run cannot know,
   * then refuses {@code estimateUsd} as a reservation would (the run may go on after a refusal).
   */
  private RunCost checkBeforeSettling(BigDecimal estimateUsd) {
    if (failure != null) {
      throw failure;
    }
    if (held.isEmpty()) {
      settle(null, null, List.of());
    } else {
      settleHeld();
      if (failure != null) {
        throw failure;
      }
    }
    BudgetExceeded.Details refused = refusal("CostBudget.check", estimateUsd);
    latest = report(null);
    upsert(latest);
    if (refused != null) {
      throw BudgetExceeded.failure(
          new BudgetExceeded.Details(
              refused.limit(),
              refused.limitUsd(),
              refused.spentUsd(),
              refused.estimateUsd(),
              refused.activityType(),
              null,
              false));
    }
    return latest;
  }

  private void upsert(RunCost report) {
    if (settling()) {
      showDetails();
    }
    if (!searchAttributes) {
      return;
    }
    if (version >= SETTLING_IN_WORKFLOW
        && upsertedStatus != null
        && report.status().name().equals(upsertedStatus)
        && Workflow.currentTimeMillis() - upsertedAtMillis < UPSERT_EVERY.toMillis()) {
      heldBack = report; // only the spend moved, and it was upserted a moment ago
      return;
    }
    upsertNow(report);
  }

  /**
   * Settles the activities held, if any, and upserts the spend a throttled upsert held back, if
   * any: called before the run waits, starts a child, continues as new or ends, so that what the
   * run and the Web UI show is exact whenever the run is idle, and never behind for long.
   */
  void upsertHeldBack() {
    try {
      settleHeld();
    } catch (CanceledFailure e) {
      // a canceled run cannot ask the store; what it held stays reserved in its own figures, and
      // the store has the activities' costs either way
      log.warn("Run {} was canceled with activities held unsettled", runId);
    }
    if (heldBack != null) {
      upsertNow(heldBack);
    }
  }

  private void upsertNow(RunCost report) {
    heldBack = null;
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
    if (report.subtreeSpentUsd() != null && (hasChildren || carriedUsd.signum() != 0)) {
      double subtree = report.subtreeSpentUsd().doubleValue();
      if (upsertedSubtree == null || upsertedSubtree != subtree) {
        updates.add(CostSearchAttributes.COST_SUBTREE_USD.valueSet(subtree));
        upsertedSubtree = subtree;
      }
    }
    if (!updates.isEmpty()) {
      Workflow.upsertTypedSearchAttributes(updates.toArray(new SearchAttributeUpdate<?>[0]));
      upsertedAtMillis = Workflow.currentTimeMillis();
    }
  }
}
