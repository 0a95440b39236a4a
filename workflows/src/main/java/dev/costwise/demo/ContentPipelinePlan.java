package dev.costwise.demo;

import dev.costwise.estimate.PlannedCall;
import dev.costwise.usage.Usage;
import java.util.ArrayList;
import java.util.List;

/**
 * The usage a pipeline run is expected to consume, from its request alone: what an estimate prices
 * before the run. Token counts are the typical ones for a script of that length; media counts are
 * exact. The actual run differs by the script's real length and by any retried (billed) attempts.
 */
public final class ContentPipelinePlan {
  /** Typical prompt tokens of the brief, excluding the cached system prompt. */
  static final long BRIEF_TOKENS = 300;

  /** Typical output tokens per scene of script. */
  static final long OUTPUT_TOKENS_PER_SCENE = 330;

  /** Typical narration characters per scene. */
  static final long NARRATION_CHARS_PER_SCENE = 135;

  private ContentPipelinePlan() {}

  /** One expected usage record per model call the run will make. */
  public static List<Usage> expectedUsage(PipelineRequest r) {
    List<Usage> usage = new ArrayList<>();
    usage.add(
        Usage.of(SimulatedProviders.LLM_PROVIDER, SimulatedProviders.LLM_MODEL)
            .inputTokens(BRIEF_TOKENS)
            .cacheReadTokens(SimulatedProviders.SYSTEM_PROMPT_TOKENS)
            .outputTokens(200 + OUTPUT_TOKENS_PER_SCENE * r.scenes())
            .build());
    for (int i = 0; i < r.scenes(); i++) {
      usage.add(
          Usage.of(SimulatedProviders.IMAGE_PROVIDER, SimulatedProviders.IMAGE_MODEL)
              .images(1, SimulatedProviders.IMAGE_SIZE, SimulatedProviders.IMAGE_QUALITY)
              .build());
      usage.add(
          Usage.of(SimulatedProviders.VIDEO_PROVIDER, r.videoModel())
              .videoSeconds(r.secondsPerScene(), r.videoWithAudio())
              .build());
    }
    usage.add(
        Usage.of(SimulatedProviders.SPEECH_PROVIDER, SimulatedProviders.SPEECH_MODEL)
            .characters(NARRATION_CHARS_PER_SCENE * r.scenes())
            .build());
    return usage;
  }

  /**
   * The same expectation as a {@code CostEstimate} plan: one call per step type, repeated per
   * scene, named by the activity types the pipeline runs.
   */
  public static List<PlannedCall> plannedCalls(PipelineRequest r) {
    List<Usage> usage = expectedUsage(r);
    return List.of(
        PlannedCall.of("WriteScript", usage.get(0), 1),
        PlannedCall.of("DrawScene", usage.get(1), r.scenes()),
        PlannedCall.of("AnimateScene", usage.get(2), r.scenes()),
        PlannedCall.of("VoiceOver", usage.get(usage.size() - 1), 1));
  }
}
