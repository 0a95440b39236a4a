package dev.costwise.temporal;

import dev.costwise.budget.RunCost;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The short Markdown a run shows as its current details in the Temporal Web UI and in the SDK's
 * {@code __temporal_workflow_metadata} query: spent, limits and status, the top models and activity
 * types, the subtree total when the run has children, and the linked estimate.
 *
 * <p>The text is a pure function of its inputs (amounts rounded for people only here, ties ordered
 * by name), so a replay renders the same text, and it is bounded: at most {@value #TOP} models and
 * activity types, names cut at {@value #MAX_NAME} characters, the whole at most {@value #MAX_CHARS}
 * characters.
 */
public final class RunSummary {
  /** The longest summary rendered, in characters. */
  public static final int MAX_CHARS = 600;

  /** How many models and activity types the summary names before counting the rest. */
  static final int TOP = 3;

  /** The longest model, activity type or estimate id shown, in characters. */
  static final int MAX_NAME = 40;

  private RunSummary() {}

  /**
   * The summary of a run whose budget is checked.
   *
   * @param cost the run's latest report
   * @param subtreeUsd the run's subtree total (itself and its children), or null when it has none
   * @param estimate the estimate linked to the run, or null
   */
  public static String of(RunCost cost, BigDecimal subtreeUsd, EstimateLink estimate) {
    List<String> lines = new ArrayList<>();
    StringBuilder head = new StringBuilder("**Cost ").append(usd(cost.spentUsd())).append("**");
    head.append(" · ").append(cost.status().name());
    if (cost.softLimitUsd() != null) {
      head.append(" · soft ").append(usd(cost.softLimitUsd()));
    }
    if (cost.hardLimitUsd() != null) {
      head.append(" · hard ").append(usd(cost.hardLimitUsd()));
    }
    lines.add(head.toString());
    if (cost.exceeded() != null) {
      lines.add(
          "Exceeded: "
              + text(cost.exceeded().limit())
              + " limit "
              + usd(cost.exceeded().limitUsd())
              + (cost.exceeded().activityType() == null
                  ? ""
                  : " after " + text(cost.exceeded().activityType())));
    }
    if (subtreeUsd != null && subtreeUsd.compareTo(cost.spentUsd()) != 0) {
      lines.add("Subtree " + usd(subtreeUsd) + " (this run and its children)");
    }
    if (estimate != null) {
      lines.add(estimateLine(estimate, cost.spentUsd()));
    }
    top("Models", cost.byModel()).ifPresent(lines::add);
    top("Activities", cost.byActivity()).ifPresent(lines::add);
    cost.notes().stream().limit(1).map(n -> "Note: " + text(n)).forEach(lines::add);
    return bounded(String.join("\n", lines));
  }

  /**
   * The summary of a run whose budget is not checked (budgets off): the workflow learns nothing of
   * its spend, so there is only something to say when an estimate is linked or its settings were
   * replaced; null otherwise, and such a run shows no details rather than a misleading {@code $0}.
   */
  public static String unchecked(EstimateLink estimate, List<String> notes) {
    if (estimate == null && notes.isEmpty()) {
      return null;
    }
    List<String> lines = new ArrayList<>();
    lines.add("**Cost tracked by Costwise** · budget checks off (spend is in the cost reports)");
    if (estimate != null) {
      lines.add(estimateLine(estimate, null));
    }
    notes.stream().limit(1).map(n -> "Note: " + text(n)).forEach(lines::add);
    return bounded(String.join("\n", lines));
  }

  /** The static summary a run started with a linked estimate shows in the Web UI's run list. */
  public static String staticSummary(EstimateLink estimate) {
    return bounded(
        "Costwise estimate "
            + text(name(estimate.estimateId()))
            + (estimate.expectedUsd() == null ? "" : ": " + usd(estimate.expectedUsd())));
  }

  /**
   * An estimate linked to a run at its start.
   *
   * @param estimateId the saved estimate's id
   * @param expectedUsd its expected total, or null when unknown
   */
  public record EstimateLink(String estimateId, BigDecimal expectedUsd) {
    /** Checks the id. */
    public EstimateLink {
      if (estimateId == null || estimateId.isBlank()) {
        throw new IllegalArgumentException("estimate id must not be blank");
      }
      if (estimateId.length() > 255) {
        throw new IllegalArgumentException(
            "estimate id too long (" + estimateId.length() + " characters, at most 255)");
      }
      if (expectedUsd != null && expectedUsd.signum() < 0) {
        throw new IllegalArgumentException(
            "expected cost must not be negative, was " + expectedUsd.toPlainString());
      }
    }
  }

  /**
   * The estimate a run's memo links, written by {@link CostwiseRun#estimate}; null when there is
   * none or it cannot be read (the summary is informational, so a bad entry never fails a run).
   */
  public static EstimateLink estimateFromMemo(Object memo) {
    if (!(memo instanceof Map<?, ?> m) || !(m.get("id") instanceof String id)) {
      return null;
    }
    try {
      Object expected = m.get("expectedUsd");
      return new EstimateLink(
          id, expected == null ? null : new BigDecimal(String.valueOf(expected)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String estimateLine(EstimateLink estimate, BigDecimal spent) {
    StringBuilder s = new StringBuilder("Estimate ").append(text(name(estimate.estimateId())));
    if (estimate.expectedUsd() != null) {
      s.append(": ").append(usd(estimate.expectedUsd())).append(" expected");
      if (spent != null && estimate.expectedUsd().signum() > 0) {
        s.append(", ")
            .append(
                spent
                    .multiply(BigDecimal.valueOf(100))
                    .divide(estimate.expectedUsd(), 0, RoundingMode.HALF_UP))
            .append("% spent");
      }
    }
    return s.toString();
  }

  private static java.util.Optional<String> top(String label, Map<String, BigDecimal> amounts) {
    if (amounts == null || amounts.isEmpty()) {
      return java.util.Optional.empty();
    }
    List<Map.Entry<String, BigDecimal>> sorted =
        amounts.entrySet().stream()
            .sorted(
                Comparator.comparing(Map.Entry<String, BigDecimal>::getValue)
                    .reversed()
                    .thenComparing(Map.Entry::getKey))
            .toList();
    StringBuilder s = new StringBuilder(label).append(": ");
    for (int i = 0; i < Math.min(TOP, sorted.size()); i++) {
      if (i > 0) {
        s.append(" · ");
      }
      s.append(text(name(sorted.get(i).getKey())))
          .append(' ')
          .append(usd(sorted.get(i).getValue()));
    }
    if (sorted.size() > TOP) {
      s.append(" · +").append(sorted.size() - TOP).append(" more");
    }
    return java.util.Optional.of(s.toString());
  }

  /** An amount for people: cents above a dollar, four decimals below, never an exponent. */
  static String usd(BigDecimal v) {
    if (v == null) {
      return "?";
    }
    int scale = v.abs().compareTo(BigDecimal.ONE) >= 0 ? 2 : 4;
    return "$" + v.setScale(scale, RoundingMode.HALF_UP).toPlainString();
  }

  private static String name(String s) {
    return s.length() <= MAX_NAME ? s : s.substring(0, MAX_NAME - 1) + "…";
  }

  /** Text with Markdown's emphasis and link characters escaped and line breaks flattened. */
  private static String text(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if ("\\`*_[]<>#|".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    return out.toString();
  }

  private static String bounded(String s) {
    return s.length() <= MAX_CHARS ? s : s.substring(0, MAX_CHARS - 1) + "…";
  }
}
