package dev.costwise.store;

import java.util.List;

/**
 * Totals deltas as parallel arrays, one per column, for the one-statement updates of execution
 * totals and daily rollups in {@link CostDao}. Amounts are exact decimal strings.
 */
public record DeltaColumns(
    String[] costUsd,
    String[] inputTokens,
    String[] outputTokens,
    String[] cacheReadTokens,
    String[] cacheWriteTokens,
    String[] reasoningTokens,
    String[] images,
    String[] videoSeconds,
    String[] characters,
    String[] audioSeconds,
    String[] usageCount,
    String[] unpricedUsageCount,
    String[] cacheWrite1hTokens,
    String[] audioInputTokens,
    String[] audioOutputTokens,
    String[] requests,
    String[] webSearches) {

  /** The columns of {@code deltas}, in order. */
  static DeltaColumns of(List<TotalsDelta> deltas) {
    int n = deltas.size();
    DeltaColumns c =
        new DeltaColumns(
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
            new String[n]);
    for (int i = 0; i < n; i++) {
      TotalsDelta d = deltas.get(i);
      c.costUsd[i] = d.costUsd().toPlainString();
      c.inputTokens[i] = Long.toString(d.counts().inputTokens());
      c.outputTokens[i] = Long.toString(d.counts().outputTokens());
      c.cacheReadTokens[i] = Long.toString(d.counts().cacheReadTokens());
      c.cacheWriteTokens[i] = Long.toString(d.counts().cacheWriteTokens());
      c.reasoningTokens[i] = Long.toString(d.counts().reasoningTokens());
      c.images[i] = Long.toString(d.counts().images());
      c.videoSeconds[i] = d.counts().videoSeconds().toPlainString();
      c.characters[i] = Long.toString(d.counts().characters());
      c.audioSeconds[i] = d.counts().audioSeconds().toPlainString();
      c.usageCount[i] = Integer.toString(d.usageCount());
      c.unpricedUsageCount[i] = Integer.toString(d.unpricedUsageCount());
      c.cacheWrite1hTokens[i] = Long.toString(d.counts().cacheWrite1hTokens());
      c.audioInputTokens[i] = Long.toString(d.counts().audioInputTokens());
      c.audioOutputTokens[i] = Long.toString(d.counts().audioOutputTokens());
      c.requests[i] = Long.toString(d.counts().requests());
      c.webSearches[i] = Long.toString(d.counts().webSearches());
    }
    return c;
  }
}
