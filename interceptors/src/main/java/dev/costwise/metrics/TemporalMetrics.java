package dev.costwise.metrics;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import com.uber.m3.util.Duration;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.common.reporter.MicrometerClientStatsReporter;

/**
 * Sends the Temporal SDK's own metrics (workflow and activity task latencies, poll counts, ...) to
 * the same Micrometer registry as Costwise's meters, so one Prometheus scrape shows both.
 *
 * <pre>{@code
 * Scope scope = TemporalMetrics.scope(registry);
 * WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder()
 *     .setTarget(address).setMetricsScope(scope).build());
 * }</pre>
 */
public final class TemporalMetrics {
  private TemporalMetrics() {}

  /** A Temporal metrics scope reporting into {@code registry} every second. */
  public static Scope scope(MeterRegistry registry) {
    return new RootScopeBuilder()
        .reporter(new MicrometerClientStatsReporter(registry))
        .reportEvery(Duration.ofSeconds(1));
  }
}
