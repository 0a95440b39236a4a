package dev.costwise.report;

import java.util.Locale;

/**
 * A fixed column a report can group by. Each maps to fixed SQL (a column of the daily rollup when
 * the rollup keeps it, and an expression over the step lines), so the SQL built from it is chosen
 * from this list, never from user text. {@link GroupBy} adds groupings by any tag.
 */
public enum Dimension {
  /** Everything in one group per period. */
  NONE("'all'", "'all'"),
  MODEL("model", "COALESCE(priced_model, model)"),
  PROVIDER("provider", "provider"),
  WORKFLOW_TYPE("workflow_type", "workflow_type"),
  ACTIVITY_TYPE("activity_type", "activity_type"),
  TASK_QUEUE("task_queue", "task_queue"),
  /** The Temporal namespace; not kept in the rollup, so always summed from the step lines. */
  NAMESPACE(null, "namespace"),
  /**
   * The root run of the tree a line belongs to (the first run of the top-level workflow's chain);
   * not kept in the rollup, so summed from the step lines.
   */
  ROOT_RUN(null, "COALESCE(root_run_id, run_id)"),
  /** The {@code tenant} tag, {@code ""} for lines without one (as the rollup keeps it). */
  TENANT("tenant", "COALESCE(tags ->> '" + dev.costwise.usage.Tags.TENANT + "', '')");

  private final String rollupColumn;
  private final String stepSql;

  Dimension(String rollupColumn, String stepSql) {
    this.rollupColumn = rollupColumn;
    this.stepSql = stepSql;
  }

  /** The rollup column (or constant) grouped by, or null when the rollup does not keep it. */
  String rollupColumn() {
    return rollupColumn;
  }

  /** The expression over {@code cost_step} grouped by. */
  String stepSql() {
    return stepSql;
  }

  /** The name as typed on the command line, e.g. {@code workflow-type}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The name as the HTTP API spells it, e.g. {@code workflow_type}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
