package dev.costwise.report;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a period report groups by. Each maps to one fixed column of the daily rollup, so the SQL
 * built from it is chosen from this list, never from user text.
 */
public enum Dimension {
  MODEL("model"),
  PROVIDER("provider"),
  WORKFLOW_TYPE("workflow_type"),
  ACTIVITY_TYPE("activity_type"),
  TASK_QUEUE("task_queue"),
  TENANT("tenant"),
  /** Everything in one group per period. */
  NONE("'all'");

  private final String column;

  Dimension(String column) {
    this.column = column;
  }

  /** The rollup column (or constant) grouped by. */
  String column() {
    return column;
  }

  /** Parses names like {@code model}, {@code workflow-type} or {@code WORKFLOW_TYPE}. */
  public static Dimension parse(String text) {
    String name = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    try {
      return valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Unknown grouping '"
              + text
              + "'; use one of "
              + Arrays.stream(values()).map(Dimension::label).collect(Collectors.joining(", ")),
          e);
    }
  }

  /** The name as typed on the command line, e.g. {@code workflow-type}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
