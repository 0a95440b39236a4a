package dev.costwise.budget;

import java.util.Objects;

/**
 * What a run tells the budget service, as a local activity, when it refused an activity before
 * scheduling it: which run, and what was refused against which limit. Nothing was spent, so no
 * threshold was crossed; the service stores the refusal as an alert so that reports list the run.
 */
public record BudgetRefusal(
    String runId, String workflowId, String workflowType, BudgetExceeded.Details details) {

  /** Requires the run and the details. */
  public BudgetRefusal {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(details, "details");
  }
}
