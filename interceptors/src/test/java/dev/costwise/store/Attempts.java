package dev.costwise.store;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Builds priced attempts for store tests, priced by the bundled catalog. */
final class Attempts {
  private static final PriceCatalog CATALOG = CatalogSource.bundledCatalog();
  private static final Pricer PRICER = Pricer.of(CATALOG);
  static final Instant T0 = Instant.parse("2026-11-20T10:15:30Z");

  private Attempts() {}

  static AttemptContext context(String runId, String activityId, int attempt) {
    return context(runId, activityId, attempt, T0);
  }

  /** The same, started at {@code started}. */
  static AttemptContext context(String runId, String activityId, int attempt, Instant started) {
    return new AttemptContext(
        "default",
        "wf-" + runId,
        "Pipeline",
        runId,
        activityId,
        "WriteScript",
        attempt,
        "queue",
        started);
  }

  static AttemptCost attempt(
      String runId, String activityId, int attempt, Outcome outcome, Usage... usages) {
    List<PricedUsage> lines =
        Arrays.stream(usages).map(u -> new PricedUsage(u, PRICER.priceLenient(u))).toList();
    return new AttemptCost(
        context(runId, activityId, attempt),
        outcome,
        lines,
        Map.of("tenant", "acme"),
        T0.plusSeconds(2));
  }

  /**
   * A completed attempt 1 started at {@code started}, with one usage, no tags, recorded a second
   * later: a run reusing an activity id gives executions that differ only in their start time.
   */
  static AttemptCost startedAt(String runId, String activityId, Instant started, Usage u) {
    return new AttemptCost(
        context(runId, activityId, 1, started),
        Outcome.COMPLETED,
        List.of(priced(u)),
        Map.of(),
        started.plusSeconds(1));
  }

  /** {@code u} priced by the bundled catalog. */
  static PricedUsage priced(Usage u) {
    return new PricedUsage(u, PRICER.priceLenient(u));
  }

  /** An attempt with the given tags instead of the usual tenant. */
  static AttemptCost tagged(String runId, String activityId, Map<String, String> tags, Usage u) {
    return new AttemptCost(
        context(runId, activityId, 1),
        Outcome.COMPLETED,
        List.of(priced(u)),
        tags,
        T0.plusSeconds(2));
  }

  /** 1000 input + 100 output tokens of gpt-4o-mini: 0.00015 + 0.00006 = 0.00021 USD. */
  static Usage mini() {
    return Usage.of("openai", "gpt-4o-mini").inputTokens(1_000).outputTokens(100).build();
  }

  /** 1000 input tokens of gpt-4o: 0.0025 USD. */
  static Usage gpt4o() {
    return Usage.of("openai", "gpt-4o").inputTokens(1_000).build();
  }
}
