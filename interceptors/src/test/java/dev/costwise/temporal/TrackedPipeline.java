package dev.costwise.temporal;

import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import dev.costwise.usage.UsageReporting;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Test workflow and activities that use every usage kind and every way of reporting it. */
final class TrackedPipeline {
  private TrackedPipeline() {}

  @WorkflowInterface
  public interface PipelineWorkflow {
    @WorkflowMethod
    String run(String topic);
  }

  /** An image result that carries its own usage. */
  public record Scenes(List<String> urls, List<Usage> usage) implements UsageReporting {}

  /** A transcription result of a type Costwise does not know; an extractor reads it. */
  public record Transcript(String text, double seconds) {}

  @ActivityInterface
  public interface MediaActivities {
    String writeScript(String topic);

    String think(String script);

    Scenes drawScenes(String script);

    String animate(String scenes);

    String voice(String script);

    Transcript transcribe(String audio);

    String flaky(String input);

    String unknownModel(String input);
  }

  static final class MediaActivitiesImpl implements MediaActivities {
    final AtomicInteger flakyCalls = new AtomicInteger();

    @Override
    public String writeScript(String topic) {
      CostUsage.tag("department", "content");
      CostUsage.record(
          Usage.of("openai", "gpt-4o")
              .inputTokens(1200)
              .outputTokens(300)
              .cacheReadTokens(1000)
              .build());
      return "script about " + topic;
    }

    @Override
    public String think(String script) {
      CostUsage.record(
          Usage.of("openai", "o3")
              .inputTokens(1000)
              .outputTokens(500)
              .reasoningTokens(2000)
              .build());
      return "plan";
    }

    @Override
    public Scenes drawScenes(String script) {
      return new Scenes(
          List.of("a", "b", "c", "d"),
          List.of(Usage.of("openai", "dall-e-3").images(4, "1024x1792", "hd").build()));
    }

    @Override
    public String animate(String scenes) {
      CostUsage.record(Usage.of("vertex_ai", "veo-3.0-generate-001").videoSeconds(8, true).build());
      return "video";
    }

    @Override
    public String voice(String script) {
      CostUsage.record(Usage.of("openai", "tts-1").characters(1500).build());
      return "audio";
    }

    @Override
    public Transcript transcribe(String audio) {
      return new Transcript("hello", 90.5);
    }

    @Override
    public String flaky(String input) {
      CostUsage.record(
          Usage.of("openai", "gpt-4o-mini").inputTokens(1000).outputTokens(100).build());
      if (flakyCalls.incrementAndGet() < 3) {
        throw new IllegalStateException("provider timed out (simulated)");
      }
      return "ok";
    }

    @Override
    public String unknownModel(String input) {
      CostUsage.record(
          Usage.of("acme", "gpt-5o-turbo-ultra").inputTokens(100).outputTokens(10).build());
      return "done";
    }
  }

  public static final class PipelineWorkflowImpl implements PipelineWorkflow {
    private final MediaActivities activities =
        Workflow.newActivityStub(
            MediaActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(30))
                .setRetryOptions(
                    RetryOptions.newBuilder()
                        .setInitialInterval(Duration.ofMillis(10))
                        .setBackoffCoefficient(1.0)
                        .setMaximumAttempts(5)
                        .build())
                .build());

    @Override
    public String run(String topic) {
      String script = activities.writeScript(topic);
      activities.think(script);
      Scenes scenes = activities.drawScenes(script);
      activities.animate(String.join(",", scenes.urls()));
      activities.voice(script);
      activities.transcribe("audio");
      activities.flaky("x");
      if (topic.startsWith("unknown")) {
        activities.unknownModel("x");
      }
      return "published";
    }
  }
}
