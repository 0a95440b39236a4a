package dev.costwise.report;

/**
 * Narrows the dashboard's overview to one workflow type, task queue and/or tenant; a null field
 * does not filter. Values are bound as parameters, never written into SQL.
 */
public record RunFilter(String workflowType, String taskQueue, String tenant) {
  /** No filter. */
  public static final RunFilter NONE = new RunFilter(null, null, null);

  /**
   * Turns blank values into null and rejects values that are too long or hold control characters.
   */
  public RunFilter {
    workflowType = check("workflowType", workflowType);
    taskQueue = check("taskQueue", taskQueue);
    tenant = check("tenant", tenant);
  }

  private static String check(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    if (value.length() > 255) {
      throw new IllegalArgumentException(
          name + " too long (" + value.length() + " characters, at most 255)");
    }
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(name + " contains a control character");
    }
    return value;
  }
}
