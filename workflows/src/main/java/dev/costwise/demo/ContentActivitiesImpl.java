package dev.costwise.demo;

import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInfo;
import io.temporal.client.ActivityWorkerShutdownException;
import java.time.Duration;
import java.util.List;

/**
 * The pipeline's activities over {@link SimulatedProviders}. Usage is reported the two ways a real
 * activity would: the script result carries its own usage, the media calls record theirs with
 * {@link CostUsage#record}. The video provider fails the first attempt of a scene whose image is
 * marked {@code #flaky}, after billing it, as real providers sometimes do.
 */
public final class ContentActivitiesImpl implements ContentActivities {
  private final Duration latency;

  /** Activities whose simulated model calls answer at once. */
  public ContentActivitiesImpl() {
    this(Duration.ZERO);
  }

  /**
   * Activities whose simulated model calls each take {@code latency}, heartbeating every second
   * while they wait, as a long real call would.
   */
  public ContentActivitiesImpl(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative");
    }
    this.latency = latency;
  }

  /**
   * Waits for the simulated provider to answer. A call already under way is not abandoned when the
   * worker stops: a real provider would finish and bill it, so the attempt finishes too (within the
   * worker's stop grace) and its cost is recorded.
   */
  private void awaitProvider() {
    await(latency);
  }

  /**
   * Fetches a rendered asset from the provider after it answered (and billed): the part of a media
   * call where a worker that dies has already spent the money.
   */
  private void awaitTransfer() {
    await(latency.multipliedBy(2));
  }

  private void await(Duration wait) {
    long left = wait.toMillis();
    boolean heartbeat = true;
    while (left > 0) {
      long slice = Math.min(left, 1_000);
      try {
        Thread.sleep(slice);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("model call interrupted before the provider answered", e);
      }
      left -= slice;
      if (heartbeat) {
        try {
          Activity.getExecutionContext().heartbeat(null);
        } catch (ActivityWorkerShutdownException e) {
          heartbeat = false; // the worker is stopping: finish the call, report its result
        }
      }
    }
  }

  @Override
  public Script writeScript(PipelineRequest request) {
    awaitProvider();
    SimulatedProviders.ScriptCall call = SimulatedProviders.writeScript(request);
    Usage usage =
        Usage.of(SimulatedProviders.LLM_PROVIDER, SimulatedProviders.LLM_MODEL)
            .inputTokens(call.inputTokens())
            .cacheReadTokens(call.cacheReadTokens())
            .outputTokens(call.outputTokens())
            .build();
    CostUsage.tag("step", "script");
    return new Script(call.title(), call.scenes(), call.narration(), List.of(usage));
  }

  @Override
  public String drawScene(String sceneDescription, int sceneNumber) {
    awaitProvider();
    CostUsage.record(
        Usage.of(SimulatedProviders.IMAGE_PROVIDER, SimulatedProviders.IMAGE_MODEL)
            .images(1, SimulatedProviders.IMAGE_SIZE, SimulatedProviders.IMAGE_QUALITY)
            .build());
    awaitTransfer();
    return SimulatedProviders.asset(
        "images", "scene-" + sceneNumber + "-" + sceneDescription.hashCode());
  }

  @Override
  public String animateScene(
      String image, int sceneNumber, int seconds, String videoModel, boolean withAudio) {
    awaitProvider();
    CostUsage.record(
        Usage.of(SimulatedProviders.VIDEO_PROVIDER, videoModel)
            .videoSeconds(seconds, withAudio)
            .build());
    ActivityInfo info = Activity.getExecutionContext().getInfo();
    if (image.endsWith("#flaky") && info.getAttempt() == 1) {
      throw new IllegalStateException(
          "video provider returned 503 after rendering scene "
              + sceneNumber
              + " (simulated; the attempt is still billed)");
    }
    return SimulatedProviders.asset("clips", "scene-" + sceneNumber + "-" + seconds + "s");
  }

  @Override
  public String voiceOver(String narration) {
    awaitProvider();
    CostUsage.record(
        Usage.of(SimulatedProviders.SPEECH_PROVIDER, SimulatedProviders.SPEECH_MODEL)
            .characters(narration.length())
            .build());
    return SimulatedProviders.asset("audio", "narration-" + narration.length());
  }
}
