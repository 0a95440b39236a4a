package dev.costwise.budget;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** SQL for budgets, their thresholds and alerts, and the spend they are compared with. */
@RegisterConstructorMapper(BudgetDao.BudgetRow.class)
@RegisterConstructorMapper(BudgetDao.ThresholdRow.class)
@RegisterConstructorMapper(BudgetDao.Amount.class)
@RegisterConstructorMapper(BudgetAlert.class)
interface BudgetDao {

  /** One row of {@code budget}. */
  record BudgetRow(
      String name,
      String period,
      String scopeKind,
      String scopeKey,
      String scopeValue,
      BigDecimal limitUsd) {}

  /** One row of {@code budget_threshold}. */
  record ThresholdRow(String budgetName, BigDecimal percent, String action) {}

  /** A named amount of spend. */
  record Amount(String name, BigDecimal usd) {}

  @SqlUpdate(
      """
      INSERT INTO budget (name, period, scope_kind, scope_key, scope_value, limit_usd)
      VALUES (:name, :period, :scopeKind, :scopeKey, :scopeValue, :limitUsd)
      """)
  void insertBudget(@BindMethods BudgetRow row);

  @SqlBatch(
      "INSERT INTO budget_threshold (budget_name, percent, action) VALUES (:budgetName, :percent, :action)")
  void insertThresholds(@BindMethods List<ThresholdRow> rows);

  @SqlUpdate("DELETE FROM budget WHERE name = :name")
  int deleteBudget(@Bind("name") String name);

  @SqlQuery(
      "SELECT name, period, scope_kind, scope_key, scope_value, limit_usd FROM budget ORDER BY name")
  List<BudgetRow> budgets();

  @SqlQuery(
      "SELECT budget_name, percent, action FROM budget_threshold ORDER BY budget_name, percent")
  List<ThresholdRow> thresholds();

  /** Whether any budget has a blocking threshold; lets the per-activity check skip the rest. */
  @SqlQuery("SELECT EXISTS (SELECT 1 FROM budget_threshold WHERE action = 'BLOCK')")
  boolean anyBlocking();

  /** Priced spend of a workflow type over whole UTC days [from, to), from the daily rollup. */
  @SqlQuery(
      """
      SELECT COALESCE(SUM(cost_usd), 0) FROM cost_rollup_daily_shard
       WHERE workflow_type = :value AND day >= :from AND day < :to
      """)
  BigDecimal spentByWorkflowType(
      @Bind("value") String value, @Bind("from") LocalDate from, @Bind("to") LocalDate to);

  /** Priced spend of a task queue over whole UTC days [from, to), from the daily rollup. */
  @SqlQuery(
      """
      SELECT COALESCE(SUM(cost_usd), 0) FROM cost_rollup_daily_shard
       WHERE task_queue = :value AND day >= :from AND day < :to
      """)
  BigDecimal spentByTaskQueue(
      @Bind("value") String value, @Bind("from") LocalDate from, @Bind("to") LocalDate to);

  /** Priced spend of one tenant over whole UTC days [from, to), from the daily rollup. */
  @SqlQuery(
      """
      SELECT COALESCE(SUM(cost_usd), 0) FROM cost_rollup_daily_shard
       WHERE tenant = :value AND day >= :from AND day < :to
      """)
  BigDecimal spentByTenant(
      @Bind("value") String value, @Bind("from") LocalDate from, @Bind("to") LocalDate to);

  @SqlQuery(
      """
      SELECT COALESCE(SUM(cost_usd), 0) FROM cost_step
       WHERE tags @> jsonb_build_object(CAST(:key AS text), CAST(:value AS text))
         AND recorded_at >= :from AND recorded_at < :to AND priced
      """)
  BigDecimal spentByTag(
      @Bind("key") String key,
      @Bind("value") String value,
      @Bind("from") Instant from,
      @Bind("to") Instant to);

  /** The run's priced total (zero when nothing is recorded yet). */
  @SqlQuery("SELECT COALESCE((SELECT cost_usd FROM cost_execution WHERE run_id = :runId), 0)")
  BigDecimal runTotal(@Bind("runId") String runId);

  @SqlQuery(
      """
      SELECT COALESCE(priced_model, model) AS name, SUM(cost_usd) AS usd FROM cost_step
       WHERE run_id = :runId AND priced GROUP BY 1 ORDER BY 1
      """)
  List<Amount> runByModel(@Bind("runId") String runId);

  @SqlQuery(
      """
      SELECT activity_type AS name, SUM(cost_usd) AS usd FROM cost_step
       WHERE run_id = :runId AND priced GROUP BY 1 ORDER BY 1
      """)
  List<Amount> runByActivity(@Bind("runId") String runId);

  /** Stores an alert unless this crossing was stored before; returns 1 when it is new. */
  @SqlUpdate(
      """
      INSERT INTO budget_alert (subject, threshold, period_start, level, action, spent_usd, limit_usd,
                                run_id, workflow_id, workflow_type, created_at)
      VALUES (:subject, :threshold, :periodStart, :level, :action, :spentUsd, :limitUsd,
              :runId, :workflowId, :workflowType, :createdAt)
      ON CONFLICT (subject, threshold, period_start) DO NOTHING
      """)
  int insertAlert(@BindMethods BudgetAlert alert);

  @SqlQuery(
      """
      SELECT subject, threshold, period_start, level, action, spent_usd, limit_usd, run_id, workflow_id,
             workflow_type, created_at
        FROM budget_alert ORDER BY id
      """)
  List<BudgetAlert> alerts();
}
