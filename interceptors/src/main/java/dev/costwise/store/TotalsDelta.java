package dev.costwise.store;

import java.math.BigDecimal;
import java.util.List;

/**
 * What a set of step rows adds to an execution's totals; subtracting one set from another gives a
 * change.
 */
public record TotalsDelta(
    BigDecimal costUsd,
    long inputTokens,
    long outputTokens,
    long cacheReadTokens,
    long cacheWriteTokens,
    long reasoningTokens,
    long images,
    BigDecimal videoSeconds,
    long characters,
    BigDecimal audioSeconds,
    int usageCount,
    int unpricedUsageCount,
    long cacheWrite1hTokens) {

  /** The sum over {@code rows}; unpriced rows add to the counts but not to the cost. */
  public static TotalsDelta of(List<StepRow> rows) {
    BigDecimal cost = BigDecimal.ZERO;
    BigDecimal video = BigDecimal.ZERO;
    BigDecimal audio = BigDecimal.ZERO;
    long in = 0, out = 0, cr = 0, cw = 0, cw1h = 0, rs = 0, img = 0, chars = 0;
    int unpriced = 0;
    for (StepRow r : rows) {
      if (r.priced()) {
        cost = cost.add(r.costUsd());
      } else {
        unpriced++;
      }
      in += r.inputTokens();
      out += r.outputTokens();
      cr += r.cacheReadTokens();
      cw += r.cacheWriteTokens();
      cw1h += r.cacheWrite1hTokens();
      rs += r.reasoningTokens();
      img += r.images();
      chars += r.characters();
      video = video.add(r.videoSeconds());
      audio = audio.add(r.audioSeconds());
    }
    return new TotalsDelta(
        cost, in, out, cr, cw, rs, img, video, chars, audio, rows.size(), unpriced, cw1h);
  }

  /** Nothing added. */
  public static final TotalsDelta ZERO = of(List.of());

  /** Whether this adds nothing at all (an attempt rewritten unchanged). */
  public boolean isZero() {
    return costUsd.signum() == 0
        && inputTokens == 0
        && outputTokens == 0
        && cacheReadTokens == 0
        && cacheWriteTokens == 0
        && cacheWrite1hTokens == 0
        && reasoningTokens == 0
        && images == 0
        && videoSeconds.signum() == 0
        && characters == 0
        && audioSeconds.signum() == 0
        && usageCount == 0
        && unpricedUsageCount == 0;
  }

  /** This plus {@code other}. */
  public TotalsDelta plus(TotalsDelta o) {
    return minus(ZERO.minus(o));
  }

  /** This minus {@code other}. */
  public TotalsDelta minus(TotalsDelta o) {
    return new TotalsDelta(
        costUsd.subtract(o.costUsd),
        inputTokens - o.inputTokens,
        outputTokens - o.outputTokens,
        cacheReadTokens - o.cacheReadTokens,
        cacheWriteTokens - o.cacheWriteTokens,
        reasoningTokens - o.reasoningTokens,
        images - o.images,
        videoSeconds.subtract(o.videoSeconds),
        characters - o.characters,
        audioSeconds.subtract(o.audioSeconds),
        usageCount - o.usageCount,
        unpricedUsageCount - o.unpricedUsageCount,
        cacheWrite1hTokens - o.cacheWrite1hTokens);
  }
}
