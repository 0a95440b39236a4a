package dev.costwise.estimate;

import dev.costwise.usage.Usage;
import java.math.BigDecimal;

/**
 * One expected model call of a plan: which activity makes it, the usage of one call, and how many
 * times it is expected ({@code repeat}, default 1). {@code repeatLow}/{@code repeatHigh} declare a
 * range of calls; when neither is given, the plan's low and high are the expected cost minus and
 * plus the configured margin (see {@link EstimateOptions#planMargin()}). Counts left out are 0.
 */
public record PlannedCall(
    String activityType,
    String provider,
    String model,
    Long inputTokens,
    Long outputTokens,
    Long cacheReadTokens,
    Long cacheWriteTokens,
    Long reasoningTokens,
    Long images,
    String imageSize,
    String imageQuality,
    BigDecimal videoSeconds,
    Boolean withAudio,
    Long characters,
    BigDecimal audioSeconds,
    Integer repeat,
    Integer repeatLow,
    Integer repeatHigh) {

  /** Fills defaults and rejects a call without activity type or model, or an inconsistent range. */
  public PlannedCall {
    if (activityType == null || activityType.isBlank()) {
      throw new EstimateException("a planned call needs an activityType");
    }
    if (model == null || model.isBlank()) {
      throw new EstimateException("planned call of " + activityType + " needs a model");
    }
    provider = provider == null ? "" : provider;
    inputTokens = zeroIfNull(inputTokens);
    outputTokens = zeroIfNull(outputTokens);
    cacheReadTokens = zeroIfNull(cacheReadTokens);
    cacheWriteTokens = zeroIfNull(cacheWriteTokens);
    reasoningTokens = zeroIfNull(reasoningTokens);
    images = zeroIfNull(images);
    videoSeconds = videoSeconds == null ? BigDecimal.ZERO : videoSeconds;
    withAudio = withAudio != null && withAudio;
    characters = zeroIfNull(characters);
    audioSeconds = audioSeconds == null ? BigDecimal.ZERO : audioSeconds;
    repeat = repeat == null ? 1 : repeat;
    int low = repeatLow == null ? repeat : repeatLow;
    int high = repeatHigh == null ? repeat : repeatHigh;
    if (low < 0 || !(low <= repeat && repeat <= high)) {
      throw new EstimateException(
          "planned call of "
              + activityType
              + " needs 0 <= repeatLow <= repeat <= repeatHigh, was "
              + low
              + ", "
              + repeat
              + ", "
              + high);
    }
  }

  /** A call of {@code activityType} with the given usage, expected {@code repeat} times. */
  public static PlannedCall of(String activityType, Usage usage, int repeat) {
    return new PlannedCall(
        activityType,
        usage.provider(),
        usage.model(),
        usage.inputTokens(),
        usage.outputTokens(),
        usage.cacheReadTokens(),
        usage.cacheWriteTokens(),
        usage.reasoningTokens(),
        usage.images(),
        usage.imageSize(),
        usage.imageQuality(),
        usage.videoSeconds(),
        usage.videoWithAudio(),
        usage.characters(),
        usage.audioSeconds(),
        repeat,
        null,
        null);
  }

  /** This call with a declared range of how many times it happens. */
  public PlannedCall withRange(int low, int high) {
    return new PlannedCall(
        activityType,
        provider,
        model,
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        reasoningTokens,
        images,
        imageSize,
        imageQuality,
        videoSeconds,
        withAudio,
        characters,
        audioSeconds,
        repeat,
        low,
        high);
  }

  /** The usage of one call, validated as any recorded usage is. */
  public Usage toUsage() {
    Usage.Builder b =
        Usage.of(provider, model)
            .inputTokens(inputTokens)
            .outputTokens(outputTokens)
            .cacheReadTokens(cacheReadTokens)
            .cacheWriteTokens(cacheWriteTokens)
            .reasoningTokens(reasoningTokens)
            .characters(characters)
            .audioSeconds(audioSeconds);
    if (images > 0) {
      b.images(images, imageSize, imageQuality);
    }
    if (videoSeconds.signum() > 0) {
      b.videoSeconds(videoSeconds, withAudio);
    }
    return b.build();
  }

  /** Whether the plan declared a range of calls rather than one count. */
  boolean declaresRange() {
    return repeatLow != null || repeatHigh != null;
  }

  int fewestCalls() {
    return repeatLow == null ? repeat : repeatLow;
  }

  int mostCalls() {
    return repeatHigh == null ? repeat : repeatHigh;
  }

  private static Long zeroIfNull(Long n) {
    return n == null ? 0L : n;
  }
}
