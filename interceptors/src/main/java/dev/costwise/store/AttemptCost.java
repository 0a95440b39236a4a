package dev.costwise.store;

import dev.costwise.usage.PricedUsage;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything recorded for one activity attempt: where it ran, how it ended, each priced usage
 * record, and its tags. Persisted as one row per usage record.
 */
public record AttemptCost(
    AttemptContext context,
    Outcome outcome,
    List<PricedUsage> lines,
    Map<String, String> tags,
    Instant recordedAt) {

  /** Copies the collections. */
  public AttemptCost {
    lines = List.copyOf(lines);
    tags = Map.copyOf(tags);
  }
}
