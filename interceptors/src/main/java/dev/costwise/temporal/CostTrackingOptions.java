package dev.costwise.temporal;

import dev.costwise.budget.Budgets;
import dev.costwise.budget.ExecutionLimits;
import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostRecorder;
import dev.costwise.usage.UsageExtractor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How Costwise prices, persists and measures usage. Build with {@link #newBuilder()}; a pricer and
 * a recorder are required, everything else has a default.
 */
public final class CostTrackingOptions {
  /** Memo key whose map value tags every cost row of the run, e.g. {@code {"tenant": "acme"}}. */
  public static final String DEFAULT_TAGS_MEMO_KEY = "costwise.tags";

  /**
   * Memo key whose map value sets the run's limits, e.g. {@code {"softUsd": "1.00", "hardUsd":
   * "2.00"}}.
   */
  public static final String DEFAULT_BUDGET_MEMO_KEY = "costwise.budget";

  private final Pricer pricer;
  private final CostRecorder recorder;
  private final CostMetrics metrics;
  private final List<UsageExtractor> extractors;
  private final String tagsMemoKey;
  private final Clock clock;
  private final Budgets budgets;
  private final Map<String, ExecutionLimits> defaultLimits;
  private final String budgetMemoKey;
  private final java.util.function.BooleanSupplier searchAttributes;
  private final Set<String> uncheckedActivityTypes;
  private final boolean failOnInvalidSettings;
  private final List<AttemptObserver> attemptObservers;

  private CostTrackingOptions(Builder b) {
    this.pricer =
        Objects.requireNonNull(b.pricer, "CostTrackingOptions needs a pricer (setPricer)");
    this.recorder =
        Objects.requireNonNull(b.recorder, "CostTrackingOptions needs a recorder (setRecorder)");
    this.metrics = b.metrics != null ? b.metrics : new CostMetrics();
    this.extractors = List.copyOf(b.extractors);
    this.tagsMemoKey = b.tagsMemoKey;
    this.clock = b.clock;
    this.budgets = b.budgets;
    this.defaultLimits = Map.copyOf(b.defaultLimits);
    this.budgetMemoKey = b.budgetMemoKey;
    this.searchAttributes = b.searchAttributes;
    this.uncheckedActivityTypes = Set.copyOf(b.uncheckedActivityTypes);
    this.attemptObservers = List.copyOf(b.attemptObservers);
    this.failOnInvalidSettings = b.failOnInvalidSettings;
    if (budgets == null && !defaultLimits.isEmpty()) {
      throw new IllegalArgumentException(
          "Default limits need budget checks: call setBudgets as well");
    }
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

  /** Observers told of each attempt's priced usage as it ends ({@link CostSpans}). */
  public List<AttemptObserver> attemptObservers() {
    return attemptObservers;
  }

  /** Memo key read for run-wide tags. */
  public String tagsMemoKey() {
    return tagsMemoKey;
  }

  /** Clock for attempt timestamps. */
  public Clock clock() {
    return clock;
  }

  /** Budget checks, or null when budgets are off (no check activity, limits ignored). */
  public Budgets budgets() {
    return budgets;
  }

  /** Limits of runs of {@code workflowType} whose memo sets none. */
  public ExecutionLimits defaultLimits(String workflowType) {
    return defaultLimits.getOrDefault(workflowType, ExecutionLimits.NONE);
  }

  /** Memo key read for a run's own limits. */
  public String budgetMemoKey() {
    return budgetMemoKey;
  }

  /** Whether runs upsert the {@link CostSearchAttributes} as their cost changes. */
  public boolean searchAttributes() {
    return searchAttributes.getAsBoolean();
  }

  /**
   * Whether activities of {@code activityType} are known to spend nothing: no check after them,
   * never refused.
   */
  public boolean unchecked(String activityType) {
    return uncheckedActivityTypes.contains(activityType);
  }

  /**
   * Whether a run whose memo holds invalid limits or tags fails at its start ({@code true}, the
   * default) rather than running with its type's default limits and no memo tags.
   */
  public boolean failOnInvalidSettings() {
    return failOnInvalidSettings;
  }

  /** Builder for {@link CostTrackingOptions}. */
  public static final class Builder {
    private Pricer pricer;
    private CostRecorder recorder;
    private CostMetrics metrics;
    private final List<UsageExtractor> extractors = new ArrayList<>();
    private final List<AttemptObserver> attemptObservers = new ArrayList<>();
    private String tagsMemoKey = DEFAULT_TAGS_MEMO_KEY;
    private Clock clock = Clock.systemUTC();
    private Budgets budgets;
    private final Map<String, ExecutionLimits> defaultLimits = new HashMap<>();
    private String budgetMemoKey = DEFAULT_BUDGET_MEMO_KEY;
    private java.util.function.BooleanSupplier searchAttributes = () -> false;
    private final Set<String> uncheckedActivityTypes = new HashSet<>();
    private boolean failOnInvalidSettings = true;

    private Builder() {}

    /**
     * What a run whose memo holds invalid limits or tags does: {@code true} (the default) fails it
     * at its start with a non-retryable {@value CostFailures#INVALID_SETTINGS} failure naming the
     * key and the problem; {@code false} runs it with its type's default limits and no memo tags,
     * saying so in the notes of its {@code cost} query. Never uncapped in silence.
     */
    public Builder setFailOnInvalidSettings(boolean fail) {
      this.failOnInvalidSettings = fail;
      return this;
    }

    /**
     * Activity types known to spend nothing (e.g. {@code SendEmail}): no budget check runs after
     * them and a blocking budget never refuses them. Every other activity may bear cost, since the
     * workflow cannot tell before the check.
     */
    public Builder addUncheckedActivityTypes(String... activityTypes) {
      for (String t : activityTypes) {
        this.uncheckedActivityTypes.add(Objects.requireNonNull(t));
      }
      return this;
    }

    /**
     * Turns on budget checks: after each activity the workflow runs {@code budgets.checkActivity()}
     * as a local activity, which the worker must register.
     */
    public Builder setBudgets(Budgets budgets) {
      this.budgets = budgets;
      return this;
    }

    /** Limits for runs of {@code workflowType}; a run's memo overrides them limit by limit. */
    public Builder setDefaultLimits(String workflowType, ExecutionLimits limits) {
      this.defaultLimits.put(Objects.requireNonNull(workflowType), Objects.requireNonNull(limits));
      return this;
    }

    /** Memo key for a run's limits; defaults to {@value #DEFAULT_BUDGET_MEMO_KEY}. */
    public Builder setBudgetMemoKey(String key) {
      this.budgetMemoKey = Objects.requireNonNull(key);
      return this;
    }

    /**
     * Upserts {@code CostUsd}, {@code CostStatus} and {@code CostLimitUsd} as settlements change
     * them: a status change at once, a change of spend alone at most every 10 s of workflow time
     * and before the run waits, starts a child, continues as new or ends. Off by default: the
     * attributes must be registered on the namespace first (see {@link CostSearchAttributes}), or
     * workflow tasks fail until they are.
     */
    public Builder setSearchAttributes(boolean enabled) {
      this.searchAttributes = () -> enabled;
      return this;
    }

    /**
     * As {@link #setSearchAttributes(boolean)}, decided when each run starts: for a plugin that
     * learns whether the namespace has the attributes only once the worker connects.
     */
    public Builder setSearchAttributes(java.util.function.BooleanSupplier enabled) {
      this.searchAttributes = Objects.requireNonNull(enabled);
      return this;
    }

    /** Required: the pricer (its strict flag decides what unknown models do). */
    public Builder setPricer(Pricer pricer) {
      this.pricer = pricer;
      return this;
    }

    /**
     * Required: where priced attempts go, normally a {@code ResilientRecorder} over a {@code
     * CostStore}.
     */
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

    /** Adds an observer told of each attempt's priced usage as it ends, e.g. {@link CostSpans}. */
    public Builder addAttemptObserver(AttemptObserver observer) {
      this.attemptObservers.add(Objects.requireNonNull(observer));
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
