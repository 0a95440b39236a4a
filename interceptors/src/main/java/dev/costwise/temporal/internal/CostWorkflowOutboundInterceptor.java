package dev.costwise.temporal.internal;

import dev.costwise.budget.BudgetCheckActivity;
import dev.costwise.temporal.CostTrackingOptions;
import io.temporal.common.interceptors.Header;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptorBase;
import io.temporal.workflow.Async;
import io.temporal.workflow.CompletablePromise;
import io.temporal.workflow.Workflow;
import java.util.Map;

/**
 * Adds the run's tags (from its memo) to every activity's header, and follows every activity with a
 * budget check when the run checks budgets. Headers are not compared on replay, so tags change no
 * command; the checks are guarded by {@link BudgetGuard}'s version marker.
 *
 * <p>The check runs in its own workflow thread once the activity's result arrives; the caller sees
 * the activity's result only after the check, or {@code BudgetExceeded} instead of it.
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
    ActivityOutput<R> output =
        super.executeActivity(
            new ActivityInput<>(
                input.getActivityName(),
                input.getResultClass(),
                input.getResultType(),
                input.getArgs(),
                input.getOptions(),
                withTags(input.getHeader())));
    return checked(input.getActivityName(), output);
  }

  @Override
  public <R> LocalActivityOutput<R> executeLocalActivity(LocalActivityInput<R> input) {
    if (BudgetCheckActivity.TYPE.equals(input.getActivityName())) {
      return super.executeLocalActivity(input);
    }
    LocalActivityOutput<R> output =
        super.executeLocalActivity(
            new LocalActivityInput<>(
                input.getActivityName(),
                input.getResultClass(),
                input.getResultType(),
                input.getArgs(),
                input.getOptions(),
                withTags(input.getHeader())));
    ActivityOutput<R> checked =
        checked(input.getActivityName(), new ActivityOutput<>(null, output.getResult()));
    return new LocalActivityOutput<>(checked.getResult());
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

  private Header withTags(Header header) {
    BudgetGuard guard = BudgetGuard.current();
    Map<String, String> tags = guard == null ? Map.of() : guard.tags();
    return tags.isEmpty() ? header : TagsHeader.with(header, tags);
  }
}
