package dev.costwise.demo;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.TextBlock;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.integration.anthropic.CostwiseAnthropic;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInfo;
import io.temporal.client.ActivityWorkerShutdownException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The pipeline's activities over {@link SimulatedProviders}. Usage is captured the two ways a real
 * activity would: the script is written through the real anthropic-java client (against {@link
 * SimulatedLlm}, in process), whose usage Costwise's integration records with no cost code here;
 * the media calls, whose providers have no SDK integration, record theirs with {@link
 * CostUsage#record}. The video provider fails the first attempt of a scene whose image is marked
 * {@code #flaky}, after billing it, as real providers sometimes do.
 */
public final class ContentActivitiesImpl implements ContentActivities, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Duration latency;
  private final SimulatedLlm provider;
  private final AnthropicClient llm;

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
    this.provider = SimulatedLlm.start();
    // the one line of Costwise adoption: a wrapped client records every call's usage
    this.llm =
        CostwiseAnthropic.wrap(
            AnthropicOkHttpClient.builder()
                .baseUrl(provider.baseUrl())
                .apiKey("demo-key")
                .maxRetries(0)
                .build());
  }

  /** Stops the simulated LLM provider. */
  @Override
  public void close() {
    llm.close();
    provider.close();
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
    Message reply;
    try {
      reply =
          llm.messages()
              .create(
                  MessageCreateParams.builder()
                      .model(SimulatedProviders.LLM_MODEL)
                      .maxTokens(4_096)
                      .system(
                          "You write short, filmable scripts as JSON: title, scenes, narration.")
                      .addUserMessage(JSON.writeValueAsString(request))
                      .build());
      JsonNode script =
          JSON.readTree(
              reply.content().stream()
                  .flatMap(block -> block.text().stream())
                  .map(TextBlock::text)
                  .findFirst()
                  .orElseThrow(() -> new IllegalStateException("the LLM answered with no text")));
      List<String> scenes = new ArrayList<>();
      script.path("scenes").forEach(scene -> scenes.add(scene.asText()));
      return new Script(script.path("title").asText(), scenes, script.path("narration").asText());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the LLM's script is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public String drawScene(String sceneDescription, int sceneNumber) {
    awaitProvider();
    CostUsage.record(
        Usage.of(SimulatedProviders.IMAGE_PROVIDER, SimulatedProviders.IMAGE_MODEL)
            .images(1, SimulatedProviders.IMAGE_SIZE, SimulatedProviders.IMAGE_QUALITY)
            .build());
    CostUsage.tag("step", "image");
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
