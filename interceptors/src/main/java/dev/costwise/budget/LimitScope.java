package dev.costwise.budget;

import java.util.Objects;

/**
 * Limits that hold for a subtree of workflow runs: every run of the chain that starts with {@code
 * chainRunId} (the run and the runs it continued as) and every run those started, at any depth. A
 * limit set on a top-level run is a limit on its whole tree.
 */
public record LimitScope(String chainRunId, ExecutionLimits limits) {
  /** Requires both. */
  public LimitScope {
    Objects.requireNonNull(chainRunId, "chainRunId");
    Objects.requireNonNull(limits, "limits");
  }

  /** Whether this scope sets any limit. */
  public boolean limited() {
    return limits.softUsd() != null || limits.hardUsd() != null;
  }
}
