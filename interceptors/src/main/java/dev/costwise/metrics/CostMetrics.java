package dev.costwise.metrics;

import dev.costwise.pricing.Cost;
import dev.costwise.store.AttemptContext;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.usage.UsageCounts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.noop.NoopCounter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Owns every Costwise meter. Names are dotted and lower case; the Prometheus registry renders them
 * as {@code costwise_cost_usd_total}, {@code costwise_tokens_total{kind="input"}}, {@code
 * costwise_images_total}, {@code costwise_video_seconds_total}, {@code
 * costwise_speech_characters_total}, {@code costwise_audio_seconds_total}, {@code
 * costwise_usage_unpriced_total}, {@code costwise_usage_late_total}, {@code
 * costwise_persistence_failures_total}. Tags come from a small fixed set: model, provider,
 * activity_type, workflow_type, task_queue; never ids.
 */
public final class CostMetrics implements MeterBinder {
  private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
  private volatile MeterRegistry registry;

  /** Meters registered nowhere until {@link #bindTo} is called. */
  public CostMetrics() {}

  /** Meters registered in {@code registry}. */
  public static CostMetrics boundTo(MeterRegistry registry) {
    CostMetrics m = new CostMetrics();
    m.bindTo(registry);
    return m;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
    counter(
        "costwise.persistence.failures",
        "Cost writes that failed after retries",
        null,
        Tags.of("spooled", "true"));
    counter(
        "costwise.persistence.failures",
        "Cost writes that failed after retries",
        null,
        Tags.of("spooled", "false"));
  }

  /** Counts one attempt's priced usage. */
  public void recordAttempt(AttemptContext ctx, Iterable<PricedUsage> lines) {
    if (registry == null) {
      return;
    }
    for (PricedUsage line : lines) {
      Usage u = line.usage();
      Cost c = line.cost();
      String provider =
          !u.provider().isEmpty() ? u.provider() : c.provider() == null ? "unknown" : c.provider();
      Tags tags =
          Tags.of(
              "model", c.pricedModel() != null ? c.pricedModel() : u.model(),
              "provider", provider,
              "activity_type", ctx.activityType(),
              "workflow_type", ctx.workflowType(),
              "task_queue", ctx.taskQueue());
      if (c.priced()) {
        counter("costwise.cost", "Priced spend on paid models", "usd", tags)
            .increment(c.total().doubleValue());
      } else {
        counter("costwise.usage.unpriced", "Usage records that could not be priced", null, tags)
            .increment();
      }
      UsageCounts k = u.counts();
      tokens(tags, "input", k.inputTokens());
      tokens(tags, "output", k.outputTokens());
      tokens(tags, "cache_read", k.cacheReadTokens());
      tokens(tags, "cache_write", k.cacheWriteTokens());
      tokens(tags, "cache_write_1h", k.cacheWrite1hTokens());
      tokens(tags, "reasoning", k.reasoningTokens());
      add("costwise.images", "Generated images", null, tags, k.images());
      add("costwise.video", "Generated video", "seconds", tags, k.videoSeconds().doubleValue());
      add(
          "costwise.speech.characters",
          "Characters synthesized to speech",
          null,
          tags,
          k.characters());
      add(
          "costwise.audio",
          "Audio transcribed or generated",
          "seconds",
          tags,
          k.audioSeconds().doubleValue());
    }
  }

  /**
   * Counts a usage record that arrived after its activity attempt ended and so was not stored; the
   * attempt's identity is logged where it happened.
   */
  public void lateUsage(String activityType, PricedUsage line) {
    if (registry == null) {
      return;
    }
    Usage u = line.usage();
    Cost c = line.cost();
    counter(
            "costwise.usage.late",
            "Usage records that arrived after their attempt ended (logged, not stored)",
            null,
            Tags.of(
                "model",
                c.pricedModel() != null ? c.pricedModel() : u.model(),
                "provider",
                u.provider().isEmpty() ? "unknown" : u.provider(),
                "activity_type",
                activityType == null ? "unknown" : activityType))
        .increment();
  }

  /** Counts a cost write that failed after retries. */
  public void persistenceFailed(boolean spooled) {
    if (registry != null) {
      counter(
              "costwise.persistence.failures",
              "Cost writes that failed after retries",
              null,
              Tags.of("spooled", Boolean.toString(spooled)))
          .increment();
    }
  }

  /**
   * Registers the recorder's state: {@code costwise_spool_attempts} (attempts waiting in the local
   * spool), {@code costwise_writebehind_attempts} (attempts in the local journal the database does
   * not have yet, with write-behind), {@code costwise_database_down} (1 while PostgreSQL cannot be
   * reached) and {@code costwise_persistence_rejected_total} (attempts PostgreSQL refused as data,
   * set aside).
   */
  public void watch(dev.costwise.store.ResilientRecorder recorder) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    io.micrometer.core.instrument.Gauge.builder(
            "costwise.spool.attempts", recorder, dev.costwise.store.ResilientRecorder::spooledCount)
        .description("Cost records waiting in the local spool for the database")
        .register(r);
    io.micrometer.core.instrument.Gauge.builder(
            "costwise.writebehind.attempts",
            recorder,
            dev.costwise.store.ResilientRecorder::unwrittenCount)
        .description(
            "Cost records durable in the local journal, waiting for the database (write-behind)")
        .register(r);
    io.micrometer.core.instrument.Gauge.builder(
            "costwise.database.down", recorder, rec -> rec.databaseDown() ? 1 : 0)
        .description("1 while PostgreSQL cannot be reached and cost writes go to the spool")
        .register(r);
    io.micrometer.core.instrument.FunctionCounter.builder(
            "costwise.persistence.rejected",
            recorder,
            dev.costwise.store.ResilientRecorder::rejectedCount)
        .description("Cost records PostgreSQL refused as data, stored with storable text")
        .register(r);
  }

  /**
   * Counts a budget threshold crossing; {@code kind} is run or period, {@code level} the status it
   * raised.
   */
  public void budgetAlert(String kind, String level) {
    if (registry != null) {
      counter(
              "costwise.budget.alerts",
              "Budget thresholds crossed",
              null,
              Tags.of("kind", kind, "level", level))
          .increment();
    }
  }

  /**
   * Counts a usage extractor or catalog reload that threw; the cause is logged where it happened.
   */
  public void internalError(String where) {
    if (registry != null) {
      counter(
              "costwise.internal.errors",
              "Recoverable errors inside Costwise",
              null,
              Tags.of("where", where))
          .increment();
    }
  }

  private void tokens(Tags tags, String kind, long n) {
    if (n > 0) {
      counter("costwise.tokens", "Model tokens by kind", null, tags.and("kind", kind)).increment(n);
    }
  }

  private void add(String name, String description, String unit, Tags tags, double amount) {
    if (amount > 0) {
      counter(name, description, unit, tags).increment(amount);
    }
  }

  private Counter counter(String name, String description, String unit, Tags tags) {
    MeterRegistry r = registry;
    if (r == null) {
      return new NoopCounter(null);
    }
    return counters.computeIfAbsent(
        new Key(name, tags),
        k -> Counter.builder(name).description(description).baseUnit(unit).tags(tags).register(r));
  }

  private record Key(String name, Tags tags) {}
}
