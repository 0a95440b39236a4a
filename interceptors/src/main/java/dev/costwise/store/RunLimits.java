package dev.costwise.store;

import java.math.BigDecimal;
import java.util.List;

/**
 * The limits a run was given, as its execution row stores them: its own (holding for its chain and
 * everything it starts) and those of the ancestor runs that cover it, outermost first.
 *
 * @param softUsd the run's own soft limit, or null
 * @param hardUsd the run's own hard limit, or null
 * @param tree limits set on ancestor runs that cover this run; empty when none
 */
public record RunLimits(BigDecimal softUsd, BigDecimal hardUsd, List<Covering> tree) {
  /** A run with no limits of its own and none above it. */
  public static final RunLimits NONE = new RunLimits(null, null, List.of());

  /** Copies the list; null is empty. */
  public RunLimits {
    tree = tree == null ? List.of() : List.copyOf(tree);
  }

  /**
   * Limits set on an ancestor run, covering its chain and everything it started.
   *
   * @param runId the first run of the ancestor's chain
   */
  public record Covering(String runId, BigDecimal softUsd, BigDecimal hardUsd) {}
}
