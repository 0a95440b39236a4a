package dev.costwise.store;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * Step rows as parallel arrays, one per column, bound to one {@code unnest} statement in {@link
 * CostDao#upsertLines}: a batch of any size is one statement and one round trip. Counts are numbers
 * and go as binary {@code bigint} arrays; every other value is text, cast by PostgreSQL to the
 * column's type (amounts as exact decimal strings). The write transactions bind the arrays in
 * binary (see {@link BinaryArrays}).
 */
public record StepColumns(
    String[] runId,
    String[] activityId,
    int[] attempt,
    int[] lineNo,
    String[] namespace,
    String[] workflowId,
    String[] workflowType,
    String[] activityType,
    String[] taskQueue,
    String[] outcome,
    String[] provider,
    String[] model,
    String[] pricedModel,
    long[] inputTokens,
    long[] outputTokens,
    long[] cacheReadTokens,
    long[] cacheWriteTokens,
    long[] reasoningTokens,
    long[] images,
    String[] imageSize,
    String[] imageQuality,
    String[] videoSeconds,
    String[] videoWithAudio,
    long[] characters,
    String[] audioSeconds,
    String[] priced,
    String[] unpricedReason,
    String[] costUsd,
    String[] inputCost,
    String[] outputCost,
    String[] cacheReadCost,
    String[] cacheWriteCost,
    String[] reasoningCost,
    String[] imageCost,
    String[] videoCost,
    String[] speechCost,
    String[] audioCost,
    String[] tags,
    String[] startedAt,
    String[] recordedAt,
    long[] cacheWrite1hTokens,
    String[] cacheWrite1hCost,
    String[] rootRunId,
    long[] audioInputTokens,
    long[] audioOutputTokens,
    String[] serviceTier,
    String[] audioInputCost,
    String[] audioOutputCost,
    String[] catalogSource,
    String[] catalogAsOf,
    String[] catalogHash,
    String[] priceEntry,
    String[] pricedTier,
    long[] requests,
    long[] webSearches,
    String[] searchContextSize,
    String[] requestCost,
    String[] webSearchCost) {

  /** The columns of {@code rows}, in order. */
  static StepColumns of(List<StepRow> rows) {
    int n = rows.size();
    StepColumns c =
        new StepColumns(
            new String[n],
            new String[n],
            new int[n],
            new int[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new long[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new long[n],
            new String[n],
            new String[n],
            new long[n],
            new long[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new String[n],
            new long[n],
            new long[n],
            new String[n],
            new String[n],
            new String[n]);
    for (int i = 0; i < n; i++) {
      StepRow r = rows.get(i);
      c.runId[i] = r.runId();
      c.activityId[i] = r.activityId();
      c.attempt[i] = r.attempt();
      c.lineNo[i] = r.lineNo();
      c.namespace[i] = r.namespace();
      c.workflowId[i] = r.workflowId();
      c.workflowType[i] = r.workflowType();
      c.activityType[i] = r.activityType();
      c.taskQueue[i] = r.taskQueue();
      c.outcome[i] = r.outcome();
      c.provider[i] = r.provider();
      c.model[i] = r.model();
      c.pricedModel[i] = r.pricedModel();
      c.inputTokens[i] = r.counts().inputTokens();
      c.outputTokens[i] = r.counts().outputTokens();
      c.cacheReadTokens[i] = r.counts().cacheReadTokens();
      c.cacheWriteTokens[i] = r.counts().cacheWriteTokens();
      c.reasoningTokens[i] = r.counts().reasoningTokens();
      c.images[i] = r.counts().images();
      c.imageSize[i] = r.imageSize();
      c.imageQuality[i] = r.imageQuality();
      c.videoSeconds[i] = decimal(r.counts().videoSeconds());
      c.videoWithAudio[i] = Boolean.toString(r.videoWithAudio());
      c.characters[i] = r.counts().characters();
      c.audioSeconds[i] = decimal(r.counts().audioSeconds());
      c.priced[i] = Boolean.toString(r.priced());
      c.unpricedReason[i] = r.unpricedReason();
      c.costUsd[i] = decimal(r.costUsd());
      c.inputCost[i] = decimal(r.inputCost());
      c.outputCost[i] = decimal(r.outputCost());
      c.cacheReadCost[i] = decimal(r.cacheReadCost());
      c.cacheWriteCost[i] = decimal(r.cacheWriteCost());
      c.reasoningCost[i] = decimal(r.reasoningCost());
      c.imageCost[i] = decimal(r.imageCost());
      c.videoCost[i] = decimal(r.videoCost());
      c.speechCost[i] = decimal(r.speechCost());
      c.audioCost[i] = decimal(r.audioCost());
      c.tags[i] = r.tags();
      c.startedAt[i] = timestamp(r.startedAt());
      c.recordedAt[i] = timestamp(r.recordedAt());
      c.cacheWrite1hTokens[i] = r.counts().cacheWrite1hTokens();
      c.cacheWrite1hCost[i] = decimal(r.cacheWrite1hCost());
      c.rootRunId[i] = r.rootRunId() != null ? r.rootRunId() : r.runId();
      c.audioInputTokens[i] = r.counts().audioInputTokens();
      c.audioOutputTokens[i] = r.counts().audioOutputTokens();
      c.serviceTier[i] = r.serviceTier();
      c.audioInputCost[i] = decimal(r.audioInputCost());
      c.audioOutputCost[i] = decimal(r.audioOutputCost());
      PricedWith w = r.pricedWith() == null ? NOT_RECORDED : r.pricedWith();
      c.catalogSource[i] = w.catalogSource();
      c.catalogAsOf[i] = w.catalogAsOf();
      c.catalogHash[i] = w.catalogHash();
      c.priceEntry[i] = w.priceEntry();
      c.pricedTier[i] = w.pricedTier();
      c.requests[i] = r.counts().requests();
      c.webSearches[i] = r.counts().webSearches();
      c.searchContextSize[i] = r.searchContextSize();
      c.requestCost[i] = decimal(r.requestCost());
      c.webSearchCost[i] = decimal(r.webSearchCost());
    }
    return c;
  }

  private static final PricedWith NOT_RECORDED = new PricedWith(null, null, null, null, null);

  /** An exact decimal string (never exponent notation), or null. */
  static String decimal(BigDecimal v) {
    return v == null ? null : v.toPlainString();
  }

  /** An ISO-8601 instant in UTC, which PostgreSQL reads as timestamptz, or null. */
  static String timestamp(Instant t) {
    return t == null ? null : t.toString();
  }
}
