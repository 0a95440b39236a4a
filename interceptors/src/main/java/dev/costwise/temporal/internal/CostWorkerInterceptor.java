package dev.costwise.temporal.internal;

import dev.costwise.temporal.CostTrackingOptions;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;

/** Installs Costwise's workflow and activity interceptors on a worker. */
public final class CostWorkerInterceptor extends WorkerInterceptorBase {
  private final CostTrackingOptions options;

  /** Interceptors configured by {@code options}. */
  public CostWorkerInterceptor(CostTrackingOptions options) {
    this.options = options;
  }

  @Override
  public WorkflowInboundCallsInterceptor interceptWorkflow(WorkflowInboundCallsInterceptor next) {
    return new CostWorkflowInboundInterceptor(next, options);
  }

  @Override
  public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
    return new CostActivityInboundInterceptor(next, options);
  }
}
