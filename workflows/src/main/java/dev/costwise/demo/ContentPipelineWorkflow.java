package dev.costwise.demo;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The demo's content pipeline: an LLM writes a short video script, an image model draws each scene,
 * a video model animates each drawing, and a speech model voices the narration. Every step calls a
 * (simulated) paid model, so every step has a cost.
 */
@WorkflowInterface
public interface ContentPipelineWorkflow {
  /** Workflow type name, as it appears in cost rows, metrics and the Temporal UI. */
  String TYPE = "ContentPipeline";

  /** Produces one video and returns what was made. */
  @WorkflowMethod(name = TYPE)
  PipelineResult produce(PipelineRequest request);
}
