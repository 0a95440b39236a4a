package dev.costwise.budget;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.costwise.store.RunLimits;
import java.util.Map;
import java.util.Objects;

/**
 * What a run tells the budget service, as a local activity, when it refused an activity before
 * scheduling it: which run, and what was refused against which limit. Nothing was spent, so no
 * threshold was crossed; the service stores the refusal as an alert so that reports list the run.
 *
 * <p>The run's place ({@code namespace} to {@code limits}) lets the service create the run's
 * execution row when the refusal came before anything was recorded, so the run can be opened like
 * any other; null in refusals sent by the release that introduced them.
 */
public record BudgetRefusal(
    String runId,
    String workflowId,
    String workflowType,
    BudgetExceeded.Details details,
    String namespace,
    String taskQueue,
    Map<String, String> tags,
    String parentRunId,
    String rootRunId,
    String chainRunId,
    RunLimits limits) {

  /** Requires the run and the details; copies the tags. */
  @JsonCreator
  public BudgetRefusal {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(details, "details");
    tags = tags == null ? Map.of() : Map.copyOf(tags);
  }

  /** A refusal without the run's place (its execution row is then not created). */
  public BudgetRefusal(
      String runId, String workflowId, String workflowType, BudgetExceeded.Details details) {
    this(runId, workflowId, workflowType, details, null, null, null, null, null, null, null);
  }
}
