package dev.costwise.temporal.internal;

import dev.costwise.temporal.CostTrackingOptions;
import io.temporal.common.interceptors.Header;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptorBase;
import io.temporal.workflow.Workflow;
import java.util.Map;

/**
 * Adds the run's tags (from its memo) to every activity's header. Headers are not compared on
 * replay, so this changes no command and needs no version marker.
 */
final class CostWorkflowOutboundInterceptor extends WorkflowOutboundCallsInterceptorBase {
  private final CostTrackingOptions options;

  CostWorkflowOutboundInterceptor(WorkflowOutboundCallsInterceptor next, CostTrackingOptions options) {
    super(next);
    this.options = options;
  }

  @Override
  public <R> ActivityOutput<R> executeActivity(ActivityInput<R> input) {
    return super.executeActivity(
        new ActivityInput<>(
            input.getActivityName(),
            input.getResultClass(),
            input.getResultType(),
            input.getArgs(),
            input.getOptions(),
            withTags(input.getHeader())));
  }

  @Override
  public <R> LocalActivityOutput<R> executeLocalActivity(LocalActivityInput<R> input) {
    return super.executeLocalActivity(
        new LocalActivityInput<>(
            input.getActivityName(),
            input.getResultClass(),
            input.getResultType(),
            input.getArgs(),
            input.getOptions(),
            withTags(input.getHeader())));
  }

  private Header withTags(Header header) {
    Object memo = Workflow.getMemo(options.tagsMemoKey(), Map.class);
    if (!(memo instanceof Map<?, ?> tags) || tags.isEmpty()) {
      return header;
    }
    return TagsHeader.with(header, TagsHeader.stringValues(tags));
  }

}
