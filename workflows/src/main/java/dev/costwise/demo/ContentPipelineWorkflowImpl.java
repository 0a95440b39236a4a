package dev.costwise.demo;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the script, then draws and animates every scene in parallel, then voices the narration.
 */
public final class ContentPipelineWorkflowImpl implements ContentPipelineWorkflow {
  private final ContentActivities activities =
      Workflow.newActivityStub(
          ContentActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(5))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(200))
                      .setBackoffCoefficient(2.0)
                      .setMaximumAttempts(3)
                      .build())
              .build());

  @Override
  public PipelineResult produce(PipelineRequest request) {
    ContentActivities.Script script = activities.writeScript(request);
    List<Promise<String>> clips = new ArrayList<>();
    List<Promise<String>> images = new ArrayList<>();
    for (int i = 0; i < script.scenes().size(); i++) {
      int scene = i + 1;
      String description = script.scenes().get(i);
      boolean flaky = scene == 1 && request.simulateOutage();
      Promise<String> image = Async.function(activities::drawScene, description, scene);
      images.add(image);
      clips.add(
          image.thenCompose(
              img ->
                  Async.function(
                      activities::animateScene,
                      flaky ? img + "#flaky" : img,
                      scene,
                      request.secondsPerScene(),
                      request.videoModel(),
                      request.videoWithAudio())));
    }
    Promise.allOf(clips).get();
    String narration = activities.voiceOver(script.narration());
    return new PipelineResult(
        script.title(),
        images.stream().map(Promise::get).toList(),
        clips.stream().map(Promise::get).toList(),
        narration);
  }
}
