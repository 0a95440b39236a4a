package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.TimeoutFailure;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The production worker ({@code costwise run}) serves no demo code unless asked to. */
class ProductionWorkerTest {
  @TempDir Path dataDir;

  @Test
  void theProductionWorkerDoesNotServeTheDemoPipeline() {
    try (CostwiseWorker worker =
        CostwiseWorker.start(TestWorkers.config(dataDir).httpPort(-1).build())) {
      assertThat(worker.plugin()).isNotNull();
      ContentPipelineWorkflow wf =
          worker
              .temporal()
              .client()
              .newWorkflowStub(
                  ContentPipelineWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue(worker.config().taskQueue())
                      .setWorkflowRunTimeout(Duration.ofSeconds(3))
                      .build());
      Throwable failed =
          catchThrowable(
              () ->
                  wf.produce(
                      new PipelineRequest(
                          "otters", 1, 4, "veo-3.0-fast-generate-001", false, false)));
      assertThat(failed).isInstanceOf(WorkflowFailedException.class);
      assertThat(failed.getCause()).isInstanceOf(TimeoutFailure.class);
    }
  }
}
