package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.demo.ContentPipelineWorkflow;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo workflow started by a client that sends arguments it cannot use, as {@code temporal
 * workflow start --type ContentPipeline --input ...} does: each run fails at once with a message
 * naming the problem, instead of failing its workflow task every ten seconds for ever.
 */
class BadWorkflowArgumentsTest {
  @TempDir static Path dataDir;
  private static CostwiseWorker worker;
  private static WorkflowServiceStubs stubs;
  private static WorkflowClient client;

  @BeforeAll
  static void start() {
    worker = CostwiseWorker.start(TestWorkers.config(dataDir).httpPort(-1).build(), true);
    stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget(worker.temporal().address())
                .build());
    client =
        WorkflowClient.newInstance(
            stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
  }

  @AfterAll
  static void stop() {
    if (stubs != null) {
      stubs.shutdownNow();
      stubs.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (worker != null) {
      worker.close();
    }
  }

  /** Starts a ContentPipeline run with {@code args} and returns how it failed. */
  private static Throwable failureOf(String id, Object... args) {
    WorkflowStub run =
        client.newUntypedWorkflowStub(
            ContentPipelineWorkflow.TYPE,
            WorkflowOptions.newBuilder().setTaskQueue("costwise-test").setWorkflowId(id).build());
    run.start(args);
    // generous liveness bound: a stuck run would fail its workflow task every 10 s for ever
    Throwable thrown = catchThrowable(() -> run.getResult(30, TimeUnit.SECONDS, Object.class));
    assertThat(thrown).as("run %s", id).isInstanceOf(WorkflowFailedException.class);
    assertThat(run.describe().getWorkflowExecutionInfo().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED);
    return thrown.getCause();
  }

  private static Map<String, Object> request(int scenes) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("topic", "otters");
    r.put("scenes", scenes);
    r.put("secondsPerScene", 4);
    r.put("videoModel", "veo-3.0-fast-generate-001");
    r.put("videoWithAudio", false);
    r.put("simulateOutage", false);
    return r;
  }

  @Test
  void aStringInsteadOfARequestFailsTheRun() {
    Throwable cause = failureOf("bad-args-string", "x");
    assertThat(cause).isInstanceOf(ApplicationFailure.class);
    assertThat(((ApplicationFailure) cause).getType()).endsWith("DataConverterException");
    assertThat(cause.getMessage()).contains("PipelineRequest").contains("'x'");
  }

  @Test
  void anEmptyObjectFailsTheRunNamingTheMissingField() {
    Throwable cause = failureOf("bad-args-empty", Map.of());
    assertThat(cause.getMessage()).contains("PipelineRequest").contains("topic is required");
  }

  @Test
  void zeroScenesFailTheRunNamingTheField() {
    Throwable cause = failureOf("bad-args-zero-scenes", request(0));
    assertThat(cause.getMessage()).contains("scenes must be 1-12, was 0");
  }

  @Test
  void noArgumentFailsTheRunAsNonRetryable() {
    Throwable cause = failureOf("bad-args-none");
    assertThat(cause).isInstanceOf(ApplicationFailure.class);
    ApplicationFailure failure = (ApplicationFailure) cause;
    assertThat(failure.isNonRetryable()).isTrue();
    assertThat(failure.getType()).isEqualTo("InvalidPipelineRequest");
    assertThat(failure.getOriginalMessage()).contains("needs a request argument");
  }

  @Test
  void aGoodRequestStillRuns() throws Exception {
    WorkflowStub run =
        client.newUntypedWorkflowStub(
            ContentPipelineWorkflow.TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue("costwise-test")
                .setWorkflowId("good-args")
                .build());
    run.start(request(1));
    assertThat(run.getResult(30, TimeUnit.SECONDS, Map.class)).containsKey("clips");
  }
}
