package dev.costwise.temporal;

import dev.costwise.budget.ExecutionLimits;
import dev.costwise.usage.Tags;
import io.temporal.client.WorkflowOptions;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run's Costwise settings, set by whoever starts it: limits and tags, checked when they are set.
 *
 * <pre>{@code
 * WorkflowOptions options = CostwiseRun.limits("1.00", "2.00").tag("tenant", "acme")
 *     .applyTo(WorkflowOptions.newBuilder().setTaskQueue("research"))
 *     .build();
 * }</pre>
 *
 * Or make tags current for a block of code, and every run started on that thread through a client
 * with the {@link CostwisePlugin} carries them (tags the run sets itself win):
 *
 * <pre>{@code
 * try (var ignored = CostwiseRun.tags(Map.of("tenant", "acme")).makeCurrent()) {
 *   client.newWorkflowStub(Research.class, options).run(question);
 * }
 * }</pre>
 *
 * <p>They travel in the run's memo under {@value CostTrackingOptions#DEFAULT_BUDGET_MEMO_KEY} and
 * {@value CostTrackingOptions#DEFAULT_TAGS_MEMO_KEY}, so memo maps written by hand keep working.
 * Instances are immutable.
 */
public final class CostwiseRun {
  /** Memo key of the estimate linked to a run ({@link #estimate}). */
  public static final String ESTIMATE_MEMO_KEY = "costwise.estimate";

  private static final ThreadLocal<CostwiseRun> CURRENT = new ThreadLocal<>();

  private final ExecutionLimits limits;
  private final Map<String, String> tags;
  private final RunSummary.EstimateLink estimate;

  private CostwiseRun(ExecutionLimits limits, Map<String, String> tags) {
    this(limits, tags, null);
  }

  private CostwiseRun(
      ExecutionLimits limits, Map<String, String> tags, RunSummary.EstimateLink estimate) {
    this.limits = limits;
    this.tags = Map.copyOf(tags);
    this.estimate = estimate;
  }

  /**
   * A run with a soft limit (warning) and a hard limit (fails the run) in USD; either may be null.
   *
   * @throws IllegalArgumentException when a limit is not a positive decimal or soft is above hard
   */
  public static CostwiseRun limits(String softUsd, String hardUsd) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (softUsd != null) {
      m.put("softUsd", softUsd);
    }
    if (hardUsd != null) {
      m.put("hardUsd", hardUsd);
    }
    return new CostwiseRun(ExecutionLimits.fromMap(m), Map.of());
  }

  /** A run with these tags and no limits of its own; each tag is checked. */
  public static CostwiseRun tags(Map<String, String> tags) {
    return new CostwiseRun(ExecutionLimits.NONE, Tags.fromJson(tags, "tags"));
  }

  /** These settings plus one tag, checked ({@link Tags}). */
  public CostwiseRun tag(String key, String value) {
    Map<String, String> more = new LinkedHashMap<>(tags);
    more.put(Tags.checkKey(key), Tags.checkValue(key, value));
    Tags.fromJson(more, "tags");
    return new CostwiseRun(limits, more, estimate);
  }

  /**
   * These settings plus the estimate made for the run: its current details compare spend with
   * {@code expectedUsd}, and {@link #applyTo} gives it a static summary naming the estimate.
   *
   * @param expectedUsd the estimate's expected total, or null
   * @throws IllegalArgumentException when the id is blank or longer than 255 characters
   */
  public CostwiseRun estimate(String estimateId, BigDecimal expectedUsd) {
    return new CostwiseRun(limits, tags, new RunSummary.EstimateLink(estimateId, expectedUsd));
  }

  /** These settings plus a saved estimate (see {@link #estimate(String, BigDecimal)}). */
  public CostwiseRun estimate(dev.costwise.estimate.Estimate saved) {
    if (saved.estimateId() == null) {
      throw new IllegalArgumentException("the estimate was not saved, so it has no id to link");
    }
    return estimate(saved.estimateId(), saved.expectedUsd());
  }

  /** A run with no limits or tags of its own, linked to a saved estimate. */
  public static CostwiseRun estimated(dev.costwise.estimate.Estimate saved) {
    return new CostwiseRun(ExecutionLimits.NONE, Map.of()).estimate(saved);
  }

  /** The limits. */
  public ExecutionLimits limits() {
    return limits;
  }

  /** The tags. */
  public Map<String, String> tags() {
    return tags;
  }

  /** The memo entries these settings travel in. */
  public Map<String, Object> memo() {
    Map<String, Object> memo = new LinkedHashMap<>();
    Map<String, String> budget = new LinkedHashMap<>();
    if (limits.softUsd() != null) {
      budget.put("softUsd", plain(limits.softUsd()));
    }
    if (limits.hardUsd() != null) {
      budget.put("hardUsd", plain(limits.hardUsd()));
    }
    if (!budget.isEmpty()) {
      memo.put(CostTrackingOptions.DEFAULT_BUDGET_MEMO_KEY, budget);
    }
    if (!tags.isEmpty()) {
      memo.put(CostTrackingOptions.DEFAULT_TAGS_MEMO_KEY, tags);
    }
    if (estimate != null) {
      Map<String, String> e = new LinkedHashMap<>();
      e.put("id", estimate.estimateId());
      if (estimate.expectedUsd() != null) {
        e.put("expectedUsd", plain(estimate.expectedUsd()));
      }
      memo.put(ESTIMATE_MEMO_KEY, e);
    }
    return memo;
  }

  /**
   * Adds these settings to the memo {@code options} already has (its other entries are kept) and
   * returns {@code options}. With an estimate linked and no static summary set, the run's static
   * summary (shown by the Web UI) names the estimate.
   */
  public WorkflowOptions.Builder applyTo(WorkflowOptions.Builder options) {
    Map<String, Object> memo = new LinkedHashMap<>();
    WorkflowOptions built = options.build();
    Map<String, Object> existing = built.getMemo();
    if (existing != null) {
      memo.putAll(existing);
    }
    memo.putAll(memo());
    if (estimate != null && built.getStaticSummary() == null) {
      options.setStaticSummary(RunSummary.staticSummary(estimate));
    }
    return options.setMemo(memo);
  }

  /** Makes these settings' tags current on this thread until the returned scope is closed. */
  public Scope makeCurrent() {
    CostwiseRun previous = CURRENT.get();
    CURRENT.set(this);
    return () -> {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    };
  }

  /** The settings made current on this thread, or null. */
  static CostwiseRun current() {
    return CURRENT.get();
  }

  private static String plain(BigDecimal d) {
    return d.stripTrailingZeros().toPlainString();
  }

  /** Restores the thread's previous settings when closed. */
  @FunctionalInterface
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
