package dev.costwise.temporal;

import dev.costwise.budget.ExecutionLimits;
import dev.costwise.usage.Tags;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptor;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowClientInterceptorBase;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * On the client: adds the tags made current with {@link CostwiseRun#makeCurrent} to each run
 * started, and checks a run's Costwise memo before it starts, so a starter learns of a bad limit or
 * tag from an exception at the call rather than from a failed run.
 */
final class CostwiseClientInterceptor extends WorkflowClientInterceptorBase {
  @Override
  public WorkflowClientCallsInterceptor workflowClientCallsInterceptor(
      WorkflowClientCallsInterceptor next) {
    return new WorkflowClientCallsInterceptorBase(next) {
      @Override
      public WorkflowStartOutput start(WorkflowStartInput input) {
        return super.start(prepared(input));
      }

      @Override
      public WorkflowSignalWithStartOutput signalWithStart(WorkflowSignalWithStartInput input) {
        return super.signalWithStart(
            new WorkflowSignalWithStartInput(
                prepared(input.getWorkflowStartInput()),
                input.getSignalName(),
                input.getSignalArguments()));
      }

      @Override
      public <R> WorkflowUpdateWithStartOutput<R> updateWithStart(
          WorkflowUpdateWithStartInput<R> input) {
        return super.updateWithStart(
            new WorkflowUpdateWithStartInput<>(
                prepared(input.getWorkflowStartInput()), input.getStartUpdateInput()));
      }
    };
  }

  static WorkflowClientCallsInterceptor.WorkflowStartInput prepared(
      WorkflowClientCallsInterceptor.WorkflowStartInput input) {
    WorkflowOptions options = input.getOptions();
    Map<String, Object> memo = new LinkedHashMap<>();
    if (options.getMemo() != null) {
      memo.putAll(options.getMemo());
    }
    CostwiseRun current = CostwiseRun.current();
    boolean changed = false;
    if (current != null && !current.tags().isEmpty()) {
      Map<String, Object> tags = new LinkedHashMap<>(current.tags());
      Object own = memo.get(CostTrackingOptions.DEFAULT_TAGS_MEMO_KEY);
      if (own instanceof Map<?, ?> m) {
        m.forEach((k, v) -> tags.put(String.valueOf(k), v));
      }
      memo.put(CostTrackingOptions.DEFAULT_TAGS_MEMO_KEY, tags);
      changed = true;
    }
    check(memo);
    if (!changed) {
      return input;
    }
    return new WorkflowClientCallsInterceptor.WorkflowStartInput(
        input.getWorkflowId(),
        input.getWorkflowType(),
        input.getHeader(),
        input.getArguments(),
        WorkflowOptions.newBuilder(options).setMemo(memo).build());
  }

  /** The same checks the worker makes at the run's start, made before the run exists. */
  private static void check(Map<String, Object> memo) {
    Object budget = memo.get(CostTrackingOptions.DEFAULT_BUDGET_MEMO_KEY);
    if (budget != null) {
      if (!(budget instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException(
            "memo '"
                + CostTrackingOptions.DEFAULT_BUDGET_MEMO_KEY
                + "' must be an object such as {\"softUsd\": \"1.00\", \"hardUsd\": \"2.00\"}");
      }
      ExecutionLimits.fromMap(m);
    }
    Tags.fromJson(
        memo.get(CostTrackingOptions.DEFAULT_TAGS_MEMO_KEY),
        "memo '" + CostTrackingOptions.DEFAULT_TAGS_MEMO_KEY + "'");
  }
}
