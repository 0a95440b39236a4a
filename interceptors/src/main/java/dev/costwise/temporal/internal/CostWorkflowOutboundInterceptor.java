package dev.costwise.temporal.internal;

import dev.costwise.budget.BudgetCheckActivity;
import dev.costwise.temporal.CostTrackingOptions;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.interceptors.Header;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptorBase;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CompletablePromise;
import io.temporal.workflow.Promise;
import io.temporal.workflow.TimerOptions;
import io.temporal.workflow.Workflow;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Adds the run's tags (from its memo) to every activity's header, and follows every activity with a
 * budget check when the run checks budgets. Headers are not compared on replay, so tags change no
 * command; the checks are guarded by {@link BudgetGuard}'s version marker.
 *
 * <p>Once the activity's result arrives, the run settles it: in the workflow thread that completed
 * the result (runs of {@link BudgetGuard#SETTLING_WHERE_COMPLETED} on), else in a workflow thread
 * started for the activity; the caller sees the activity's result only after the settlement, or
 * {@code BudgetExceeded} instead of it. Runs of {@link BudgetGuard#SETTLING_IN_BATCHES} on hand
 * over at once the result of an activity that completed within its reservation, and settle it later
 * with others. A child run's end is judged as before.
 */
final class CostWorkflowOutboundInterceptor extends WorkflowOutboundCallsInterceptorBase {
  private final CostTrackingOptions options;

  CostWorkflowOutboundInterceptor(
      WorkflowOutboundCallsInterceptor next, CostTrackingOptions options) {
    super(next);
    this.options = options;
  }

  @Override
  public <R> ActivityOutput<R> executeActivity(ActivityInput<R> input) {
    BudgetGuard guard = BudgetGuard.current();
    String type = input.getActivityName();
    if (settles(guard, type)) {
      return reservedAndSettled(
          guard, type, true, grant -> super.executeActivity(withHeader(input, guard, grant)));
    }
    ActivityOutput<R> output = super.executeActivity(withHeader(input, guard, null));
    return checked(type, output);
  }

  /** Whether activities of {@code type} are reserved and settled in this run. */
  private boolean settles(BudgetGuard guard, String type) {
    return guard != null && guard.settling() && !options.unchecked(type);
  }

  /**
   * Reserves what an activity of {@code type} is expected to cost and schedules it, or refuses it;
   * the caller sees its result once its cost is settled or held (see {@link BudgetGuard#settled}).
   * A {@code grantable} activity (not a local one, whose result is recorded before any signal of
   * its attempt could be) is scheduled with its reservation as its grant when the run grants.
   */
  private static <R> ActivityOutput<R> reservedAndSettled(
      BudgetGuard guard,
      String type,
      boolean grantable,
      Function<Payload, ActivityOutput<R>> schedule) {
    ApplicationFailure refused = guard.reserve(type);
    if (refused != null) {
      return new ActivityOutput<>(null, Workflow.newFailedPromise(refused));
    }
    BigDecimal reserved = guard.reservation(type);
    Payload grant = grantable ? guard.grant(reserved) : null;
    boolean granted = grant != null;
    ActivityOutput<R> output = schedule.apply(grant);
    CompletablePromise<R> result = Workflow.newPromise();
    whenEnded(
        guard,
        output.getResult(),
        (value, outcome) ->
            guard.settled(type, reserved, granted, output.getActivityId(), value, outcome, result));
    return new ActivityOutput<>(output.getActivityId(), result);
  }

  /**
   * Calls {@code then} with {@code ended}'s value or failure once it completes: in the workflow
   * thread that completes it (runs of {@link BudgetGuard#SETTLING_WHERE_COMPLETED} on), else in a
   * workflow thread started to wait for it, as earlier versions did (a real thread of the worker's
   * pool for as long as the activity or child runs). The choice decides the order of the markers
   * {@code then} records, so it follows the run's version.
   */
  private static <R> void whenEnded(
      BudgetGuard guard, Promise<R> ended, BiConsumer<R, RuntimeException> then) {
    if (guard.settlesWhereCompleted()) {
      ended.handle(
          (value, outcome) -> {
            then.accept(value, outcome);
            return null;
          });
      return;
    }
    Async.procedure(
        () -> {
          R value = null;
          RuntimeException outcome = null;
          try {
            value = ended.get();
          } catch (RuntimeException e) {
            outcome = e;
          }
          then.accept(value, outcome);
        });
  }

  /** {@code input} with the run's header, and the activity's grant unless null. */
  private static <R> ActivityInput<R> withHeader(
      ActivityInput<R> input, BudgetGuard guard, Payload grant) {
    Header header = header(input.getHeader(), guard);
    return new ActivityInput<>(
        input.getActivityName(),
        input.getResultClass(),
        input.getResultType(),
        input.getArgs(),
        input.getOptions(),
        grant == null ? header : GrantHeader.with(header, grant));
  }

  @Override
  public <R> LocalActivityOutput<R> executeLocalActivity(LocalActivityInput<R> input) {
    String type = input.getActivityName();
    if (BudgetCheckActivity.ownType(type)) {
      return super.executeLocalActivity(input);
    }
    BudgetGuard guard = BudgetGuard.current();
    LocalActivityInput<R> tagged =
        new LocalActivityInput<>(
            type,
            input.getResultClass(),
            input.getResultType(),
            input.getArgs(),
            input.getOptions(),
            header(input.getHeader(), guard));
    if (settles(guard, type)) {
      ActivityOutput<R> settled =
          reservedAndSettled(
              guard,
              type,
              false,
              grant -> new ActivityOutput<>(null, super.executeLocalActivity(tagged).getResult()));
      return new LocalActivityOutput<>(settled.getResult());
    }
    LocalActivityOutput<R> output = super.executeLocalActivity(tagged);
    ActivityOutput<R> checked = checked(type, new ActivityOutput<>(null, output.getResult()));
    return new LocalActivityOutput<>(checked.getResult());
  }

  @Override
  public <R> ChildWorkflowOutput<R> executeChildWorkflow(ChildWorkflowInput<R> input) {
    BudgetGuard guard = BudgetGuard.current();
    if (guard == null) {
      return super.executeChildWorkflow(input);
    }
    guard.upsertHeldBack();
    ChildWorkflowOutput<R> output =
        super.executeChildWorkflow(
            new ChildWorkflowInput<>(
                input.getWorkflowId(),
                input.getWorkflowType(),
                input.getResultClass(),
                input.getResultType(),
                input.getArgs(),
                input.getOptions(),
                guard.childHeader(input.getHeader())));
    if (!guard.settling()) {
      return output;
    }
    CompletablePromise<R> result = Workflow.newPromise();
    whenEnded(
        guard, output.getResult(), (value, outcome) -> childEnded(guard, value, outcome, result));
    return new ChildWorkflowOutput<>(result, output.getWorkflowExecution());
  }

  /**
   * Once a child run ended ({@code value}, or its failure {@code outcome}): takes the failure of a
   * limit of this run that stopped the child, reads the subtree's spend again, judges the limits,
   * then completes {@code result}.
   */
  private static <R> void childEnded(
      BudgetGuard guard, R value, RuntimeException outcome, CompletablePromise<R> result) {
    RuntimeException childFailure = null;
    if (outcome != null) {
      ApplicationFailure ours = guard.fromChild(outcome);
      childFailure = ours != null ? ours : outcome;
    }
    try {
      guard.childEnded();
    } catch (RuntimeException exceeded) {
      result.completeExceptionally(childFailure != null ? childFailure : exceeded);
      return;
    }
    if (childFailure != null) {
      result.completeExceptionally(childFailure);
    } else {
      result.complete(value);
    }
  }

  @Override
  public void continueAsNew(ContinueAsNewInput input) {
    BudgetGuard guard = BudgetGuard.current();
    if (guard == null) {
      super.continueAsNew(input);
      return;
    }
    guard.upsertHeldBack();
    super.continueAsNew(
        new ContinueAsNewInput(
            input.getWorkflowType(),
            input.getOptions(),
            input.getArgs(),
            guard.continuedHeader(input.getHeader())));
  }

  // Before the run waits, the spend a throttled upsert held back is shown (see BudgetGuard).

  @Override
  public void sleep(Duration duration) {
    heldBack();
    super.sleep(duration);
  }

  @Override
  public Promise<Void> newTimer(Duration duration) {
    heldBack();
    return super.newTimer(duration);
  }

  @Override
  public Promise<Void> newTimer(Duration duration, TimerOptions options) {
    heldBack();
    return super.newTimer(duration, options);
  }

  @Override
  public boolean await(Duration timeout, String reason, Supplier<Boolean> unblockCondition) {
    heldBack();
    return super.await(timeout, reason, unblockCondition);
  }

  @Override
  public void await(String reason, Supplier<Boolean> unblockCondition) {
    heldBack();
    super.await(reason, unblockCondition);
  }

  private static void heldBack() {
    BudgetGuard guard = BudgetGuard.current();
    if (guard != null) {
      guard.upsertHeldBack();
    }
  }

  private <R> ActivityOutput<R> checked(String activityType, ActivityOutput<R> output) {
    BudgetGuard guard = BudgetGuard.current();
    if (guard == null || !guard.enabled() || options.unchecked(activityType)) {
      return output;
    }
    CompletablePromise<R> result = Workflow.newPromise();
    Async.procedure(() -> guard.afterActivity(activityType, output, result));
    return new ActivityOutput<>(output.getActivityId(), result);
  }

  /** The run's tags and its place in its tree, for an activity's header. */
  private static Header header(Header header, BudgetGuard guard) {
    return guard == null ? header : guard.activityHeader(header);
  }
}
