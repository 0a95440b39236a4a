package dev.costwise.budget;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The budget service the workflow interceptor runs as local activities: the settlement after each
 * activity (and before the first of each type), the record of an activity refused before running,
 * and the check of runs recorded before settlements existed. Workers must register it next to their
 * own activities, since an interceptor cannot register activities:
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

  /** Activity type of the settlement, as it appears in history markers. */
  String SETTLE_TYPE = "CostwiseBudgetSettle";

  /**
   * Settles an activity's cost and answers how the limits covering the run stand, and what activity
   * types are expected to cost; see {@link BudgetSettleRequest}.
   */
  @ActivityMethod(name = SETTLE_TYPE)
  BudgetSettlement settle(BudgetSettleRequest request);

  /** Activity type of settling several activities at once, as it appears in history markers. */
  String SETTLE_ALL_TYPE = "CostwiseBudgetSettleAll";

  /**
   * Settles several activities of one run in order, as {@link #settle} one after another would:
   * each request after the first counts the spend of the first request plus what those before it
   * settled. Answers in the requests' order.
   */
  @ActivityMethod(name = SETTLE_ALL_TYPE)
  BudgetSettlement[] settleAll(BudgetSettleRequest[] requests);

  /** Activity type of storing a refusal, as it appears in history markers. */
  String REFUSED_TYPE = "CostwiseBudgetRefused";

  /**
   * Stores an activity refused before running as an alert of the run (once per run and limit), so
   * that the run is listed with the runs that failed on a limit; see {@link BudgetRefusal}.
   */
  @ActivityMethod(name = REFUSED_TYPE)
  void refused(BudgetRefusal refusal);

  /** Whether {@code activityType} is one of the budget service's own, which spend nothing. */
  static boolean ownType(String activityType) {
    return TYPE.equals(activityType)
        || SETTLE_TYPE.equals(activityType)
        || SETTLE_ALL_TYPE.equals(activityType)
        || REFUSED_TYPE.equals(activityType);
  }
}
