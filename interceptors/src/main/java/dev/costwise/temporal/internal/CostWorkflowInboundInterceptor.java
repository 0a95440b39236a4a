package dev.costwise.temporal.internal;

import dev.costwise.temporal.CostTrackingOptions;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.failure.ApplicationFailure;

/**
 * Wraps the workflow's outbound calls so that activities carry the run's tags and are followed by a
 * budget check, installs the run's {@link BudgetGuard} (and its {@code cost} query), and makes the
 * run end with the budget failure once a limit was exceeded, even if workflow code caught it.
 */
final class CostWorkflowInboundInterceptor extends WorkflowInboundCallsInterceptorBase {
  private final CostTrackingOptions options;
  private WorkflowOutboundCallsInterceptor outbound;

  CostWorkflowInboundInterceptor(
      WorkflowInboundCallsInterceptor next, CostTrackingOptions options) {
    super(next);
    this.options = options;
  }

  @Override
  public void init(WorkflowOutboundCallsInterceptor outboundCalls) {
    this.outbound = outboundCalls;
    super.init(new CostWorkflowOutboundInterceptor(outboundCalls, options));
  }

  @Override
  public WorkflowOutput execute(WorkflowInput input) {
    BudgetGuard guard = BudgetGuard.install(options, outbound, input.getHeader());
    WorkflowOutput output;
    try {
      output = super.execute(input);
    } catch (RuntimeException e) {
      guard.upsertHeldBack();
      ApplicationFailure budget = guard.failure();
      throw budget != null ? budget : e;
    }
    guard.upsertHeldBack();
    if (guard.failure() != null) {
      throw guard.failure();
    }
    return output;
  }
}
