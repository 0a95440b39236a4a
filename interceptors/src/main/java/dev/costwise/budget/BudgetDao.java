package dev.costwise.budget;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.jdbi.v3.core.statement.NoTemplateEngine;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.config.UseTemplateEngine;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * SQL for budgets, their thresholds and alerts, and the spend they are compared with. The SQL is
 * used as written (no template attributes), so no statement is parsed for them at every call.
 */
@UseTemplateEngine(NoTemplateEngine.class)
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

  /** The catalog versions lines of a run were priced with (lines without a version left out). */
  @SqlQuery(
      """
      SELECT DISTINCT catalog_source AS source, catalog_as_of AS as_of, catalog_hash AS hash
        FROM cost_step WHERE run_id = :runId AND catalog_hash IS NOT NULL
       ORDER BY 2, 1, 3 LIMIT 16
      """)
  @RegisterConstructorMapper(dev.costwise.pricing.CatalogVersion.class)
  List<dev.costwise.pricing.CatalogVersion> runCatalogs(@Bind("runId") String runId);

  /** The catalog versions lines of one activity were priced with. */
  @SqlQuery(
      """
      SELECT DISTINCT catalog_source AS source, catalog_as_of AS as_of, catalog_hash AS hash
        FROM cost_step WHERE run_id = :runId AND activity_id = :activityId AND catalog_hash IS NOT NULL
       ORDER BY 2, 1, 3 LIMIT 16
      """)
  @RegisterConstructorMapper(dev.costwise.pricing.CatalogVersion.class)
  List<dev.costwise.pricing.CatalogVersion> activityCatalogs(
      @Bind("runId") String runId, @Bind("activityId") String activityId);

  /** Priced cost of one activity (all its attempts) per priced model, and its unpriced lines. */
  record ModelCost(String model, BigDecimal usd, int unpriced) {}

  @SqlQuery(
      """
      SELECT COALESCE(priced_model, model) AS model,
             COALESCE(SUM(cost_usd) FILTER (WHERE priced), 0) AS usd,
             COUNT(*) FILTER (WHERE NOT priced) AS unpriced
        FROM cost_step WHERE run_id = :runId AND activity_id = :activityId GROUP BY 1 ORDER BY 1
      """)
  @RegisterConstructorMapper(ModelCost.class)
  List<ModelCost> activityCost(@Bind("runId") String runId, @Bind("activityId") String activityId);

  /** Whether an attempt of the activity is stored as completed. */
  @SqlQuery(
      """
      SELECT EXISTS (SELECT 1 FROM cost_step
                      WHERE run_id = :runId AND activity_id = :activityId AND outcome = 'COMPLETED')
      """)
  boolean completedStored(@Bind("runId") String runId, @Bind("activityId") String activityId);

  /** Priced spend of a whole tree: every run whose root is {@code rootRunId}, and the root. */
  @SqlQuery(
      """
      SELECT COALESCE(SUM(cost_usd), 0) FROM cost_execution
       WHERE root_run_id = :root OR run_id = :root
      """)
  BigDecimal treeSpent(@Bind("root") String rootRunId);

  /**
   * Priced spend of a chain and everything it started: the runs of the chain that begins with
   * {@code chainRunId}, and, recursively, the runs whose parent is one of those.
   */
  @SqlQuery(
      """
      WITH RECURSIVE subtree(run_id) AS (
        SELECT run_id FROM cost_execution WHERE chain_run_id = :chain OR run_id = :chain
        UNION
        SELECT e.run_id FROM cost_execution e JOIN subtree t ON e.parent_run_id = t.run_id)
      SELECT COALESCE(SUM(e.cost_usd), 0) FROM cost_execution e JOIN subtree t ON e.run_id = t.run_id
      """)
  BigDecimal subtreeSpent(@Bind("chain") String chainRunId);

  /** A high percentile of what one activity of a type cost, over its recent history. */
  record TypeHistory(BigDecimal usd, int samples) {}

  /**
   * The {@code percentile} of what one activity of {@code activityType} cost (its lines summed),
   * over the type's {@code lines} most recent priced lines since {@code since}: an index gives
   * lines newest first, so the read stops after those, however many the type has (an activity cut
   * at the oldest line counts with the lines read). One row; {@code samples} 0 when none.
   */
  @SqlQuery(
      """
      SELECT percentile_disc(:percentile) WITHIN GROUP (ORDER BY usd) AS usd, COUNT(*) AS samples
        FROM (SELECT SUM(cost_usd) AS usd
                FROM (SELECT run_id, activity_id, cost_usd FROM cost_step
                       WHERE workflow_type = :workflowType AND activity_type = :activityType
                         AND recorded_at >= :since AND priced
                       ORDER BY recorded_at DESC LIMIT :lines) recent
               GROUP BY run_id, activity_id) a
      """)
  @RegisterConstructorMapper(TypeHistory.class)
  TypeHistory typeHistory(
      @Bind("workflowType") String workflowType,
      @Bind("activityType") String activityType,
      @Bind("since") Instant since,
      @Bind("percentile") double percentile,
      @Bind("lines") int lines);

  /** Stores an alert unless this crossing was stored before; returns 1 when it is new. */
  @SqlUpdate(
      """
      INSERT INTO budget_alert (subject, threshold, period_start, level, action, spent_usd, limit_usd,
                                run_id, workflow_id, workflow_type, created_at, activity_type,
                                expected_usd)
      VALUES (:subject, :threshold, :periodStart, :level, :action, :spentUsd, :limitUsd,
              :runId, :workflowId, :workflowType, :createdAt, :activityType, :expectedUsd)
      ON CONFLICT (subject, threshold, period_start) DO NOTHING
      """)
  int insertAlert(@BindMethods BudgetAlert alert);

  @SqlQuery(
      """
      SELECT subject, threshold, period_start, level, action, spent_usd, limit_usd, run_id, workflow_id,
             workflow_type, created_at, activity_type, expected_usd
        FROM budget_alert ORDER BY id
      """)
  List<BudgetAlert> alerts();
}
