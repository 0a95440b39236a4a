package dev.costwise.usage;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.math.BigDecimal;

/**
 * Amounts of every usage kind Costwise counts: tokens by kind, images, video seconds, synthesized
 * characters, audio seconds, and requests and web searches billed per call. The one place these
 * kinds are declared: a usage record, a stored step, an execution's totals and a change to them all
 * carry one of these, so a new kind is added here (and to the SQL) only.
 *
 * <p>Token kinds are disjoint, as in {@link Usage}. Values are not validated here: a difference
 * between two sets of counts may be negative. Seconds of {@code null} are read as zero.
 */
public record UsageCounts(
    long inputTokens,
    long outputTokens,
    long cacheReadTokens,
    long cacheWriteTokens,
    long cacheWrite1hTokens,
    long reasoningTokens,
    long images,
    BigDecimal videoSeconds,
    long characters,
    BigDecimal audioSeconds,
    long audioInputTokens,
    long audioOutputTokens,
    long requests,
    long webSearches) {

  /** Nothing counted. */
  public static final UsageCounts ZERO =
      new UsageCounts(0, 0, 0, 0, 0, 0, 0, BigDecimal.ZERO, 0, BigDecimal.ZERO, 0, 0, 0, 0);

  /** Reads missing seconds as zero. */
  public UsageCounts {
    videoSeconds = videoSeconds == null ? BigDecimal.ZERO : videoSeconds;
    audioSeconds = audioSeconds == null ? BigDecimal.ZERO : audioSeconds;
  }

  /** Whether every count is zero. */
  @JsonIgnore
  public boolean isZero() {
    return inputTokens == 0
        && outputTokens == 0
        && cacheReadTokens == 0
        && cacheWriteTokens == 0
        && cacheWrite1hTokens == 0
        && reasoningTokens == 0
        && images == 0
        && videoSeconds.signum() == 0
        && characters == 0
        && audioSeconds.signum() == 0
        && audioInputTokens == 0
        && audioOutputTokens == 0
        && requests == 0
        && webSearches == 0;
  }

  /** These counts plus {@code o}, kind by kind. */
  public UsageCounts plus(UsageCounts o) {
    return new UsageCounts(
        inputTokens + o.inputTokens,
        outputTokens + o.outputTokens,
        cacheReadTokens + o.cacheReadTokens,
        cacheWriteTokens + o.cacheWriteTokens,
        cacheWrite1hTokens + o.cacheWrite1hTokens,
        reasoningTokens + o.reasoningTokens,
        images + o.images,
        videoSeconds.add(o.videoSeconds),
        characters + o.characters,
        audioSeconds.add(o.audioSeconds),
        audioInputTokens + o.audioInputTokens,
        audioOutputTokens + o.audioOutputTokens,
        requests + o.requests,
        webSearches + o.webSearches);
  }

  /** These counts minus {@code o}, kind by kind. */
  public UsageCounts minus(UsageCounts o) {
    return new UsageCounts(
        inputTokens - o.inputTokens,
        outputTokens - o.outputTokens,
        cacheReadTokens - o.cacheReadTokens,
        cacheWriteTokens - o.cacheWriteTokens,
        cacheWrite1hTokens - o.cacheWrite1hTokens,
        reasoningTokens - o.reasoningTokens,
        images - o.images,
        videoSeconds.subtract(o.videoSeconds),
        characters - o.characters,
        audioSeconds.subtract(o.audioSeconds),
        audioInputTokens - o.audioInputTokens,
        audioOutputTokens - o.audioOutputTokens,
        requests - o.requests,
        webSearches - o.webSearches);
  }

  /** Input tokens of every kind that count toward a long-context tier threshold. */
  public long promptTokens() {
    return inputTokens + cacheReadTokens + cacheWriteTokens + cacheWrite1hTokens;
  }

  /**
   * Equal when every count is equal; seconds compare by value, so {@code 1.5} equals {@code 1.500}.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof UsageCounts c
        && inputTokens == c.inputTokens
        && outputTokens == c.outputTokens
        && cacheReadTokens == c.cacheReadTokens
        && cacheWriteTokens == c.cacheWriteTokens
        && cacheWrite1hTokens == c.cacheWrite1hTokens
        && reasoningTokens == c.reasoningTokens
        && images == c.images
        && videoSeconds.compareTo(c.videoSeconds) == 0
        && characters == c.characters
        && audioSeconds.compareTo(c.audioSeconds) == 0
        && audioInputTokens == c.audioInputTokens
        && audioOutputTokens == c.audioOutputTokens
        && requests == c.requests
        && webSearches == c.webSearches;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(inputTokens * 31 + outputTokens) * 31 + Long.hashCode(images + characters);
  }
}
