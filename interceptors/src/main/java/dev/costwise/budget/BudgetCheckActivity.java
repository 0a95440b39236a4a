package dev.costwise.budget;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The budget check the workflow interceptor runs, as a local activity, after every activity that
 * completes. Workers must register it next to their own activities, since an interceptor cannot
 * register activities:
 *
 * <pre>{@code worker.registerActivitiesImplementations(myActivities, budgets.checkActivity());}
 * </pre>
 */
@ActivityInterface
public interface BudgetCheckActivity {
  /** Activity type of the check, as it appears in history markers. */
  String TYPE = "CostwiseBudgetCheck";

  /**
   * Reads the run's totals and the period budgets covering it, raises alerts, returns the status.
   */
  @ActivityMethod(name = TYPE)
  RunCost check(BudgetCheckRequest request);
}
