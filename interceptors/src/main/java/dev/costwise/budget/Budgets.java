package dev.costwise.budget;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.store.ActivityCosts;
import dev.costwise.store.UnwrittenCost;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Budgets, wired: the {@link BudgetDefinitions} (what budgets exist), the {@link BudgetPolicy} (the
 * check) and the {@link BudgetAlerts} (who hears of a crossing), over one database. What the
 * worker, the plugin and the command line hold.
 */
public final class Budgets {
  private final BudgetDefinitions definitions;
  private final BudgetAlerts alerts;
  private final BudgetPolicy policy;
  private final ActivityCosts activityCosts = new ActivityCosts();

  /**
   * Budgets over {@code jdbi} (the cost store's, see {@code CostStore.jdbi}).
   *
   * @param sinks where new alerts are sent after they are stored, e.g. a webhook
   */
  public Budgets(Jdbi jdbi, CostMetrics metrics, List<AlertSink> sinks, Clock clock) {
    this(jdbi, metrics, sinks, clock, UnwrittenCost.NONE);
  }

  /**
   * Budgets that also count spend the recorder holds but has not written ({@code unwritten}, the
   * worker's recorder), so a run's limit holds while PostgreSQL is unreachable or a write failed.
   */
  public Budgets(
      Jdbi jdbi, CostMetrics metrics, List<AlertSink> sinks, Clock clock, UnwrittenCost unwritten) {
    this.definitions = new BudgetDefinitions(jdbi);
    this.alerts = new BudgetAlerts(jdbi, metrics, sinks);
    this.policy = new BudgetPolicy(jdbi, metrics, clock, unwritten, alerts, activityCosts);
  }

  /** Budgets with no alert sinks, meters registered nowhere and the UTC clock. */
  public Budgets(Jdbi jdbi) {
    this(jdbi, new CostMetrics(), List.of(), Clock.systemUTC());
  }

  /** What budgets exist. */
  public BudgetDefinitions definitions() {
    return definitions;
  }

  /** The check. */
  public BudgetPolicy policy() {
    return policy;
  }

  /**
   * What this worker's activities cost, kept until their runs settle them; the activity interceptor
   * feeds it as attempts end.
   */
  public ActivityCosts activityCosts() {
    return activityCosts;
  }

  /** See {@link BudgetPolicy#expect}. */
  public Budgets expect(String activityType, BigDecimal usd) {
    policy.expect(activityType, usd);
    return this;
  }

  /** See {@link BudgetPolicy#settle}. */
  public BudgetSettlement settle(BudgetSettleRequest request) {
    return policy.settle(request);
  }

  /** The activity implementation a worker registers so the interceptor can run the check. */
  public BudgetCheckActivity checkActivity() {
    return new BudgetCheckActivityImpl(policy);
  }

  /** See {@link BudgetDefinitions#create}. */
  public void create(PeriodBudget budget) {
    definitions.create(budget);
    policy.forgetDefinitions();
  }

  /** See {@link BudgetDefinitions#delete}. */
  public boolean delete(String name) {
    boolean deleted = definitions.delete(name);
    policy.forgetDefinitions();
    return deleted;
  }

  /** See {@link BudgetDefinitions#list}. */
  public List<PeriodBudget> list() {
    return definitions.list();
  }

  /** See {@link BudgetPolicy#utilisation}. */
  public List<BudgetUtilisation> utilisation() {
    return policy.utilisation();
  }

  /** See {@link BudgetAlerts#alerts}. */
  public List<BudgetAlert> alerts() {
    return alerts.alerts();
  }

  /** See {@link BudgetPolicy#blocking}. */
  public Optional<BudgetExceeded.Details> blocking(
      String workflowType,
      String taskQueue,
      Map<String, String> tags,
      String activityType,
      String activityId) {
    return policy.blocking(workflowType, taskQueue, tags, activityType, activityId);
  }

  /** See {@link BudgetPolicy#check}. */
  public RunCost check(BudgetCheckRequest r) {
    return policy.check(r);
  }
}
