package dev.costwise.demo;

import dev.costwise.budget.RunCost;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostwiseRun;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.util.UUID;

/**
 * Starts one run of the demo pipeline on a worker that serves it ({@code costwise demo
 * --keep-running} or {@code costwise run --serve-demo}), with a $5 hard limit and a tenant tag set
 * through {@link CostwiseRun}, then prints its result and its {@code cost} query. The starter of
 * this sample, as in Temporal's samples: {@code java -cp … dev.costwise.demo.ContentPipelineStarter
 * [topic]}, with {@code TEMPORAL_ADDRESS} (default {@code 127.0.0.1:7233}) and {@code
 * COSTWISE_TASK_QUEUE} (default {@code costwise}).
 */
public final class ContentPipelineStarter {
  private ContentPipelineStarter() {}

  /** Runs one pipeline and prints what it cost. */
  public static void main(String[] args) {
    String address = envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233");
    String queue = envOr("COSTWISE_TASK_QUEUE", "costwise");
    String topic = args.length > 0 ? String.join(" ", args) : "otters";
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(address).build());
    try {
      System.out.println(run(WorkflowClient.newInstance(service), queue, topic));
    } finally {
      service.shutdown();
    }
  }

  /** Runs one pipeline about {@code topic} on {@code taskQueue} and says what it cost. */
  public static String run(WorkflowClient client, String taskQueue, String topic) {
    String queue = taskQueue;
    {
      ContentPipelineWorkflow pipeline =
          client.newWorkflowStub(
              ContentPipelineWorkflow.class,
              CostwiseRun.limits(null, "5.00")
                  .tag("tenant", "sample")
                  .applyTo(
                      WorkflowOptions.newBuilder()
                          .setTaskQueue(queue)
                          .setWorkflowId("content-pipeline-" + UUID.randomUUID()))
                  .build());
      PipelineResult result =
          pipeline.produce(
              new PipelineRequest(topic, 3, 4, "veo-3.0-fast-generate-001", false, false));
      RunCost cost = WorkflowStub.fromTyped(pipeline).query(CostBudget.QUERY, RunCost.class);
      return String.format(
          "Produced '%s': %d images, %d clips; spent $%s of a $%s limit (%s)",
          result.title(),
          result.images().size(),
          result.clips().size(),
          cost.spentUsd().stripTrailingZeros().toPlainString(),
          cost.hardLimitUsd().toPlainString(),
          cost.status());
    }
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v.strip();
  }
}
