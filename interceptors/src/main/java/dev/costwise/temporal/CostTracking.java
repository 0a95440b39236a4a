package dev.costwise.temporal;

import dev.costwise.temporal.internal.CostWorkerInterceptor;
import io.temporal.common.interceptors.WorkerInterceptor;

/**
 * The one class a worker needs: register {@link #workerInterceptor()} and every activity attempt's
 * model usage is priced, persisted and measured.
 *
 * <pre>{@code
 * var tracking = new CostTracking(CostTrackingOptions.newBuilder()
 *     .setPricer(pricer).setRecorder(recorder).setMetrics(metrics).build());
 * var factory = WorkerFactory.newInstance(client,
 *     WorkerFactoryOptions.newBuilder().setWorkerInterceptors(tracking.workerInterceptor()).build());
 * }</pre>
 */
public final class CostTracking {
  private final CostTrackingOptions options;
  private final WorkerInterceptor interceptor;

  /** Tracking configured by {@code options}. */
  public CostTracking(CostTrackingOptions options) {
    this.options = options;
    this.interceptor = new CostWorkerInterceptor(options);
  }

  /** The interceptor to pass to {@code WorkerFactoryOptions.Builder.setWorkerInterceptors}. */
  public WorkerInterceptor workerInterceptor() {
    return interceptor;
  }

  /** The options this tracking runs with. */
  public CostTrackingOptions options() {
    return options;
  }
}
