package dev.costwise.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.uber.m3.tally.Scope;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import org.junit.jupiter.api.Test;

class TemporalMetricsTest {
  @WorkflowInterface
  public interface Hello {
    @WorkflowMethod
    String hello();
  }

  public static class HelloImpl implements Hello {
    @Override
    public String hello() {
      return "hi";
    }
  }

  @Test
  void temporalSdkMetricsLandInTheSameRegistryAsCostMetrics() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    CostMetrics.boundTo(registry);
    Scope scope = TemporalMetrics.scope(registry);
    try (TestWorkflowEnvironment env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setMetricsScope(scope).build())) {
      env.newWorker("metrics").registerWorkflowImplementationTypes(HelloImpl.class);
      env.start();
      Hello wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  Hello.class, WorkflowOptions.newBuilder().setTaskQueue("metrics").build());
      assertThat(wf.hello()).isEqualTo("hi");
      scope.close(); // flushes what the scope buffered
    }
    assertThat(registry.scrape())
        .contains("temporal_workflow_completed_total")
        .contains("temporal_workflow_task_execution_latency");
  }
}
