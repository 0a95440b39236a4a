package dev.costwise.worker.http;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What totals can be grouped by: a fixed set of columns, or one tag ({@code tag:tenant}) whose name
 * must be a plain identifier. Anything else is rejected with the list of choices.
 */
public record GroupBy(String name, String sql) {
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private enum Column {
    NONE("'all'"),
    MODEL("COALESCE(priced_model, model)"),
    PROVIDER("provider"),
    WORKFLOW_TYPE("workflow_type"),
    ACTIVITY_TYPE("activity_type"),
    TASK_QUEUE("task_queue"),
    NAMESPACE("namespace");

    final String sql;

    Column(String sql) {
      this.sql = sql;
    }
  }

  /**
   * Parses {@code model}, {@code provider}, {@code workflow_type}, {@code activity_type}, {@code
   * task_queue}, {@code namespace}, {@code none} or {@code tag:NAME}.
   *
   * @throws IllegalArgumentException naming the choices
   */
  public static GroupBy parse(String value) {
    String v = value == null || value.isBlank() ? "none" : value.strip();
    if (v.startsWith("tag:")) {
      String tag = v.substring(4);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException(
            "groupBy tag name '" + tag + "' must be letters, digits, '_', '.' or '-'");
      }
      // the tag name is validated above and bound as a SQL string literal with quotes doubled
      return new GroupBy(v, "COALESCE(tags ->> '" + tag.replace("'", "''") + "', '(none)')");
    }
    try {
      Column c = Column.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_'));
      return new GroupBy(c.name().toLowerCase(Locale.ROOT), c.sql);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "groupBy '"
              + v
              + "' is not one of "
              + Arrays.stream(Column.values())
                  .map(c -> c.name().toLowerCase(Locale.ROOT))
                  .collect(Collectors.joining(", "))
              + ", tag:NAME");
    }
  }
}
