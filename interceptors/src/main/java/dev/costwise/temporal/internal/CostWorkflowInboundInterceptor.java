package dev.costwise.temporal.internal;

import dev.costwise.temporal.CostTrackingOptions;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;

/** Wraps the workflow's outbound calls so that activities carry the run's tags. */
final class CostWorkflowInboundInterceptor extends WorkflowInboundCallsInterceptorBase {
  private final CostTrackingOptions options;

  CostWorkflowInboundInterceptor(WorkflowInboundCallsInterceptor next, CostTrackingOptions options) {
    super(next);
    this.options = options;
  }

  @Override
  public void init(WorkflowOutboundCallsInterceptor outboundCalls) {
    super.init(new CostWorkflowOutboundInterceptor(outboundCalls, options));
  }
}
