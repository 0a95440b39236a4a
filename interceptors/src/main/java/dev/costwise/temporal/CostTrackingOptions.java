package dev.costwise.temporal;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostRecorder;
import dev.costwise.usage.UsageExtractor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How Costwise prices, persists and measures usage. Build with {@link #newBuilder()}; a pricer
 * and a recorder are required, everything else has a default.
 */
public final class CostTrackingOptions {
  /** Memo key whose map value tags every cost row of the run, e.g. {@code {"tenant": "acme"}}. */
  public static final String DEFAULT_TAGS_MEMO_KEY = "costwise.tags";

  private final Pricer pricer;
  private final CostRecorder recorder;
  private final CostMetrics metrics;
  private final List<UsageExtractor> extractors;
  private final String tagsMemoKey;
  private final Clock clock;

  private CostTrackingOptions(Builder b) {
    this.pricer = Objects.requireNonNull(b.pricer, "CostTrackingOptions needs a pricer (setPricer)");
    this.recorder = Objects.requireNonNull(b.recorder, "CostTrackingOptions needs a recorder (setRecorder)");
    this.metrics = b.metrics != null ? b.metrics : new CostMetrics();
    this.extractors = List.copyOf(b.extractors);
    this.tagsMemoKey = b.tagsMemoKey;
    this.clock = b.clock;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Prices each usage record as it is recorded. */
  public Pricer pricer() {
    return pricer;
  }

  /** Persists each attempt's priced usage. */
  public CostRecorder recorder() {
    return recorder;
  }

  /** Meters for cost and usage. */
  public CostMetrics metrics() {
    return metrics;
  }

  /** Extractors tried on every activity result, after {@code UsageReporting}. */
  public List<UsageExtractor> extractors() {
    return extractors;
  }

  /** Memo key read for run-wide tags. */
  public String tagsMemoKey() {
    return tagsMemoKey;
  }

  /** Clock for attempt timestamps. */
  public Clock clock() {
    return clock;
  }

  /** Builder for {@link CostTrackingOptions}. */
  public static final class Builder {
    private Pricer pricer;
    private CostRecorder recorder;
    private CostMetrics metrics;
    private final List<UsageExtractor> extractors = new ArrayList<>();
    private String tagsMemoKey = DEFAULT_TAGS_MEMO_KEY;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Required: the pricer (its strict flag decides what unknown models do). */
    public Builder setPricer(Pricer pricer) {
      this.pricer = pricer;
      return this;
    }

    /** Required: where priced attempts go, normally a {@code ResilientRecorder} over a {@code CostStore}. */
    public Builder setRecorder(CostRecorder recorder) {
      this.recorder = recorder;
      return this;
    }

    /** Meters; defaults to meters registered nowhere. */
    public Builder setMetrics(CostMetrics metrics) {
      this.metrics = metrics;
      return this;
    }

    /** Adds an extractor for result types that do not implement {@code UsageReporting}. */
    public Builder addExtractor(UsageExtractor extractor) {
      this.extractors.add(Objects.requireNonNull(extractor));
      return this;
    }

    /** Memo key for run-wide tags; defaults to {@value #DEFAULT_TAGS_MEMO_KEY}. */
    public Builder setTagsMemoKey(String key) {
      this.tagsMemoKey = Objects.requireNonNull(key);
      return this;
    }

    /** Clock for timestamps; defaults to UTC system time. */
    public Builder setClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** Validates and builds. */
    public CostTrackingOptions build() {
      return new CostTrackingOptions(this);
    }
  }
}
