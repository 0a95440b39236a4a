package dev.costwise.worker;

import com.uber.m3.tally.Scope;
import dev.costwise.metrics.TemporalMetrics;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC connection to a Temporal frontend and the client over it. The SDK's own metrics (poll
 * latencies, task failures, ...) go to the same registry as the cost meters.
 */
public final class TemporalConnection implements AutoCloseable {
  private final WorkflowServiceStubs stubs;
  private final WorkflowClient client;
  private final Scope metricsScope;
  private final String address;
  private final String namespace;

  private TemporalConnection(
      WorkflowServiceStubs stubs, Scope scope, String address, String namespace) {
    this.stubs = stubs;
    this.metricsScope = scope;
    this.address = address;
    this.namespace = namespace;
    this.client =
        WorkflowClient.newInstance(
            stubs, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
  }

  /**
   * Connects to {@code address}, waits at most {@code timeout} for the frontend to answer its
   * health check, and checks the namespace exists.
   *
   * @throws StartupException when the frontend does not answer or the namespace is unknown
   */
  public static TemporalConnection connect(
      String address, String namespace, MeterRegistry registry, java.time.Duration timeout) {
    Scope scope = TemporalMetrics.scope(registry);
    WorkflowServiceStubs stubs;
    try {
      stubs =
          WorkflowServiceStubs.newConnectedServiceStubs(
              WorkflowServiceStubsOptions.newBuilder()
                  .setTarget(address)
                  .setMetricsScope(scope)
                  .build(),
              timeout);
    } catch (RuntimeException e) {
      closeQuietly(scope);
      throw new StartupException(
          "Cannot reach Temporal at "
              + address
              + " within "
              + timeout.toSeconds()
              + "s: "
              + Database.rootMessage(e)
              + " (check "
              + WorkerConfig.Env.TEMPORAL_ADDRESS
              + " / --temporal-address, or unset it to start the"
              + " embedded Temporal server)",
          e);
    }
    try {
      stubs
          .blockingStub()
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
    } catch (StatusRuntimeException e) {
      stubs.shutdownNow();
      closeQuietly(scope);
      String why =
          e.getStatus().getCode() == Status.Code.NOT_FOUND
              ? "namespace '"
                  + namespace
                  + "' does not exist; create it (temporal operator namespace create "
                  + namespace
                  + ") or set "
                  + WorkerConfig.Env.TEMPORAL_NAMESPACE
              : e.getStatus().getCode() + " " + e.getStatus().getDescription();
      throw new StartupException("Temporal at " + address + ": " + why, e);
    }
    return new TemporalConnection(stubs, scope, address, namespace);
  }

  /** Whether the frontend answers its health check within two seconds. */
  public boolean healthy() {
    try {
      stubs.healthCheck();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * The version the frontend reports, or an empty string when it reports none, as the SDK's test
   * server (the embedded dev server) does.
   */
  public String serverVersion() {
    return stubs
        .blockingStub()
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getSystemInfo(io.temporal.api.workflowservice.v1.GetSystemInfoRequest.getDefaultInstance())
        .getServerVersion();
  }

  /**
   * Whether workflow tasks may be dispatched to a worker's own sticky queue. The SDK's test server
   * (the embedded dev server) never moves a task off the sticky queue of a worker that stopped or
   * died (it has no sticky schedule-to-start timeout and ignores the worker's shutdown notice), so
   * runs would wait forever for that worker; against it, every workflow task goes to the shared
   * task queue instead.
   */
  public boolean stickyExecutionSafe() {
    return !serverVersion().isEmpty();
  }

  /** The client, bound to the namespace. */
  public WorkflowClient client() {
    return client;
  }

  /** The service stubs. */
  public WorkflowServiceStubs stubs() {
    return stubs;
  }

  /** {@code host:port} of the frontend. */
  public String address() {
    return address;
  }

  /** The namespace. */
  public String namespace() {
    return namespace;
  }

  @Override
  public void close() {
    // Closed after the worker stopped: any call still open is a client's long poll (a demo
    // waiting for its run's result), which would hold the channel open for up to a minute.
    stubs.shutdownNow();
    stubs.awaitTermination(2, TimeUnit.SECONDS);
    closeQuietly(metricsScope);
  }

  private static void closeQuietly(Scope scope) {
    try {
      scope.close();
    } catch (com.uber.m3.tally.ScopeCloseException e) {
      // only flushes pending metric reports; nothing to recover
    }
  }
}
