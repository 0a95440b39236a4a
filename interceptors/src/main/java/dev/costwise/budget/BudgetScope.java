package dev.costwise.budget;

import java.util.Map;
import java.util.Objects;

/**
 * What a period budget covers: every run of a workflow type, every run on a task queue, or every
 * run carrying a tag (e.g. {@code tenant=acme}).
 *
 * @param key the tag name for {@link Kind#TAG}, null otherwise
 */
public record BudgetScope(Kind kind, String key, String value) {
  /** The kinds of scope. */
  public enum Kind {
    WORKFLOW_TYPE,
    TASK_QUEUE,
    TAG
  }

  /** Checks that a tag scope has a tag name and the others do not. */
  public BudgetScope {
    Objects.requireNonNull(kind, "scope kind");
    Objects.requireNonNull(value, "scope value");
    if ((kind == Kind.TAG) != (key != null)) {
      throw new IllegalArgumentException(
          "a tag scope needs a tag name, other scopes must not have one");
    }
  }

  /** Every run of {@code workflowType}. */
  public static BudgetScope workflowType(String workflowType) {
    return new BudgetScope(Kind.WORKFLOW_TYPE, null, workflowType);
  }

  /** Every run on {@code taskQueue}. */
  public static BudgetScope taskQueue(String taskQueue) {
    return new BudgetScope(Kind.TASK_QUEUE, null, taskQueue);
  }

  /** Every run tagged {@code name=value}. */
  public static BudgetScope tag(String name, String value) {
    return new BudgetScope(Kind.TAG, name, value);
  }

  /**
   * Parses {@code workflow-type=X}, {@code task-queue=Y} or {@code tag=name:value}.
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static BudgetScope parse(String text) {
    int eq = text.indexOf('=');
    String kind = eq < 0 ? "" : text.substring(0, eq);
    String value = eq < 0 ? "" : text.substring(eq + 1);
    if (!value.isEmpty()) {
      switch (kind) {
        case "workflow-type":
          return workflowType(value);
        case "task-queue":
          return taskQueue(value);
        case "tag":
          int colon = value.indexOf(':');
          if (colon > 0 && colon < value.length() - 1) {
            return tag(value.substring(0, colon), value.substring(colon + 1));
          }
          break;
        default:
          break;
      }
    }
    throw new IllegalArgumentException(
        "Bad scope '"
            + text
            + "': use workflow-type=<type>, task-queue=<queue> or tag=<name>:<value>");
  }

  /** Whether a run of this type, queue and tags is covered. */
  public boolean covers(String workflowType, String taskQueue, Map<String, String> tags) {
    return switch (kind) {
      case WORKFLOW_TYPE -> value.equals(workflowType);
      case TASK_QUEUE -> value.equals(taskQueue);
      case TAG -> value.equals(tags.get(key));
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case WORKFLOW_TYPE -> "workflow-type=" + value;
      case TASK_QUEUE -> "task-queue=" + value;
      case TAG -> "tag=" + key + ":" + value;
    };
  }
}
