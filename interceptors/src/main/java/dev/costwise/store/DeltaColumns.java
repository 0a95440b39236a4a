package dev.costwise.store;

import java.util.List;

/**
 * Totals deltas as parallel arrays, one per column, for the one-statement updates of execution
 * totals and daily rollups in {@link CostDao}. Amounts are exact decimal strings; counts are
 * numbers, which go to PostgreSQL as binary {@code bigint} arrays.
 */
public record DeltaColumns(
    String[] costUsd,
    long[] inputTokens,
    long[] outputTokens,
    long[] cacheReadTokens,
    long[] cacheWriteTokens,
    long[] reasoningTokens,
    long[] images,
    String[] videoSeconds,
    long[] characters,
    String[] audioSeconds,
    long[] usageCount,
    long[] unpricedUsageCount,
    long[] cacheWrite1hTokens,
    long[] audioInputTokens,
    long[] audioOutputTokens,
    long[] requests,
    long[] webSearches) {

  /** The columns of {@code deltas}, in order. */
  static DeltaColumns of(List<TotalsDelta> deltas) {
    int n = deltas.size();
    DeltaColumns c =
        new DeltaColumns(
            new String[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new String[n],
            new long[n],
            new String[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n],
            new long[n]);
    for (int i = 0; i < n; i++) {
      TotalsDelta d = deltas.get(i);
      c.costUsd[i] = d.costUsd().toPlainString();
      c.inputTokens[i] = d.counts().inputTokens();
      c.outputTokens[i] = d.counts().outputTokens();
      c.cacheReadTokens[i] = d.counts().cacheReadTokens();
      c.cacheWriteTokens[i] = d.counts().cacheWriteTokens();
      c.reasoningTokens[i] = d.counts().reasoningTokens();
      c.images[i] = d.counts().images();
      c.videoSeconds[i] = d.counts().videoSeconds().toPlainString();
      c.characters[i] = d.counts().characters();
      c.audioSeconds[i] = d.counts().audioSeconds().toPlainString();
      c.usageCount[i] = d.usageCount();
      c.unpricedUsageCount[i] = d.unpricedUsageCount();
      c.cacheWrite1hTokens[i] = d.counts().cacheWrite1hTokens();
      c.audioInputTokens[i] = d.counts().audioInputTokens();
      c.audioOutputTokens[i] = d.counts().audioOutputTokens();
      c.requests[i] = d.counts().requests();
      c.webSearches[i] = d.counts().webSearches();
    }
    return c;
  }
}
