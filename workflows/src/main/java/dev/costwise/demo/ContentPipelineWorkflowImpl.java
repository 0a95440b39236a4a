package dev.costwise.demo;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CompletablePromise;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the script, then draws and animates every scene in parallel, then voices the narration.
 *
 * <p>A request that cannot be read (not an object, or one {@link PipelineRequest} rejects) fails
 * the run when the worker lists {@link io.temporal.common.converter.DataConverterException} among
 * its fail-workflow exception types, as the Costwise worker does; a missing request fails it here.
 */
public final class ContentPipelineWorkflowImpl implements ContentPipelineWorkflow {
  /** Failure type of a run started without a usable request. */
  public static final String INVALID_REQUEST = "InvalidPipelineRequest";

  private final ContentActivities activities =
      Workflow.newActivityStub(
          ContentActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(5))
              // a worker that dies mid-call is noticed in seconds, not at the end of the timeout
              .setHeartbeatTimeout(Duration.ofSeconds(10))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(200))
                      .setBackoffCoefficient(2.0)
                      .setMaximumAttempts(3)
                      .build())
              .build());

  @Override
  public PipelineResult produce(PipelineRequest request) {
    if (request == null) {
      // before any command: failing here changes no command sequence
      throw ApplicationFailure.newNonRetryableFailure(
          "ContentPipeline needs a request argument {topic, scenes, secondsPerScene, videoModel,"
              + " videoWithAudio, simulateOutage}; it was started with none",
          INVALID_REQUEST);
    }
    ContentActivities.Script script = activities.writeScript(request);
    List<Promise<String>> clips = new ArrayList<>();
    List<CompletablePromise<String>> images = new ArrayList<>();
    for (int i = 0; i < script.scenes().size(); i++) {
      int scene = i + 1;
      String description = script.scenes().get(i);
      boolean flaky = scene == 1 && request.simulateOutage();
      CompletablePromise<String> image = Workflow.newPromise();
      images.add(image);
      // one thread per scene: draw, then animate what was drawn
      clips.add(
          Async.function(
              () -> {
                String img = activities.drawScene(description, scene);
                image.complete(img);
                return activities.animateScene(
                    flaky ? img + "#flaky" : img,
                    scene,
                    request.secondsPerScene(),
                    request.videoModel(),
                    request.videoWithAudio());
              }));
    }
    try {
      Promise.allOf(clips).get();
    } catch (RuntimeException e) {
      // the run fails with the first scene's failure; the others are read too, so the SDK does not
      // log each of them, with its stack, as a failure nobody read
      clips.forEach(Promise::getFailure);
      throw e;
    }
    String narration = activities.voiceOver(script.narration());
    return new PipelineResult(
        script.title(),
        images.stream().map(Promise::get).toList(),
        clips.stream().map(Promise::get).toList(),
        narration);
  }
}
