package dev.costwise.usage;

/**
 * Thrown when usage is recorded outside an activity attempt that Costwise tracks, so that a
 * misconfigured worker fails loudly instead of silently dropping cost.
 */
public final class NoActiveUsageScopeException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  NoActiveUsageScopeException() {
    super(
        "CostUsage.record was called outside a tracked activity attempt. Call it from activity code"
            + " running on a worker created with CostTracking.workerInterceptor() registered in"
            + " WorkerFactoryOptions.setWorkerInterceptors(...), on the activity's own thread.");
  }
}
