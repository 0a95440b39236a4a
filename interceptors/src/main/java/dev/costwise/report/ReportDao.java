package dev.costwise.report;

import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.StepRow;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.AllowUnusedBindings;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * SQL for reports. Period reports read the daily rollup (its shards, summed) when it keeps the
 * grouping and the range is whole days, else the step lines; {@code <group>} is always SQL chosen
 * by {@link GroupBy} from {@link Dimension} or a validated, quoted tag name, never other user text;
 * every value is bound.
 */
@RegisterConstructorMapper(PeriodTotal.class)
@RegisterConstructorMapper(CostDriver.class)
@RegisterConstructorMapper(UnpricedUsage.class)
@RegisterConstructorMapper(ExecutionTotals.class)
@RegisterConstructorMapper(ReportDao.ActualStep.class)
@RegisterConstructorMapper(ReportDao.EstimateHeader.class)
@RegisterConstructorMapper(ReportDao.EstimateStep.class)
@RegisterConstructorMapper(RunTotal.class)
@RegisterConstructorMapper(StepRow.class)
@RegisterConstructorMapper(ReportDao.TreeRow.class)
@RegisterConstructorMapper(ReportDao.RunLinks.class)
@RegisterConstructorMapper(RunDetail.Crossing.class)
@RegisterConstructorMapper(UnpricedModel.class)
interface ReportDao {

  /**
   * Where a run sits in its tree, and the limits it was given ({@code treeLimits} null when they
   * were not recorded).
   */
  record RunLinks(
      String runId,
      String parentRunId,
      String rootRunId,
      BigDecimal softLimitUsd,
      BigDecimal hardLimitUsd,
      String treeLimits) {}

  /** One run below another, found by following parent_run_id down. */
  record TreeRow(
      String runId,
      String parentRunId,
      String workflowId,
      String workflowType,
      BigDecimal costUsd,
      Instant firstRecordedAt,
      int depth) {}

  /** Cost of one step of a run as recorded. */
  record ActualStep(
      String activityType,
      String provider,
      String model,
      long attempts,
      BigDecimal costUsd,
      long unpricedUsageCount) {}

  /** An estimate's totals. */
  record EstimateHeader(
      String estimateId,
      String workflowType,
      String workflowId,
      String runId,
      BigDecimal lowUsd,
      BigDecimal expectedUsd,
      BigDecimal highUsd,
      Instant createdAt) {}

  /** One estimated step. */
  record EstimateStep(
      String activityType,
      String provider,
      String model,
      String source,
      BigDecimal lowUsd,
      BigDecimal expectedUsd,
      BigDecimal highUsd) {}

  @SqlQuery(
      """
      SELECT CAST(date_trunc(:unit, day) AS date) AS period_start, <group> AS "group",
             SUM(cost_usd) AS cost_usd, SUM(usage_count) AS usage_count,
             SUM(unpriced_usage_count) AS unpriced_usage_count, SUM(input_tokens) AS input_tokens,
             SUM(output_tokens) AS output_tokens, SUM(images) AS images, SUM(video_seconds) AS video_seconds,
             SUM(characters) AS characters, SUM(audio_seconds) AS audio_seconds
        FROM cost_rollup_daily_shard
       WHERE day >= :from AND day < :to
       GROUP BY 1, 2
      HAVING SUM(usage_count) != 0
       ORDER BY 1, 3 DESC, 2
      """)
  List<PeriodTotal> totals(
      @Bind("unit") String unit,
      @Define("group") String groupColumn,
      @Bind("from") LocalDate from,
      @Bind("to") LocalDate to);

  @SqlQuery(
      """
      SELECT "group", cost_usd,
             CASE WHEN SUM(cost_usd) OVER () = 0 THEN 0
                  ELSE ROUND(100 * cost_usd / SUM(cost_usd) OVER (), 2) END AS share_percent,
             usage_count, unpriced_usage_count
        FROM (SELECT <group> AS "group", SUM(cost_usd) AS cost_usd, SUM(usage_count) AS usage_count,
                     SUM(unpriced_usage_count) AS unpriced_usage_count
                FROM cost_rollup_daily_shard
               WHERE day >= :from AND day < :to
               GROUP BY 1
              HAVING SUM(usage_count) != 0) g
       ORDER BY cost_usd DESC, "group"
       LIMIT :limit
      """)
  List<CostDriver> topDrivers(
      @Define("group") String groupColumn,
      @Bind("from") LocalDate from,
      @Bind("to") LocalDate to,
      @Bind("limit") int limit);

  @SqlQuery(
      """
      SELECT provider, model, SUM(unpriced_usage_count) AS unpriced_usage_count, SUM(usage_count) AS usage_count
        FROM cost_rollup_daily_shard
       WHERE day >= :from AND day < :to
       GROUP BY provider, model
      HAVING SUM(unpriced_usage_count) > 0
       ORDER BY 3 DESC, provider, model
      """)
  List<UnpricedUsage> unpriced(@Bind("from") LocalDate from, @Bind("to") LocalDate to);

  @SqlQuery("SELECT * FROM cost_execution WHERE run_id = :runId")
  Optional<ExecutionTotals> execution(@Bind("runId") String runId);

  @SqlQuery(
      """
      SELECT activity_type, MIN(provider) AS provider, COALESCE(priced_model, model) AS model,
             COUNT(DISTINCT (activity_id, attempt)) AS attempts, COALESCE(SUM(cost_usd), 0) AS cost_usd,
             COUNT(*) FILTER (WHERE NOT priced) AS unpriced_usage_count
        FROM cost_step
       WHERE run_id = :runId
       GROUP BY activity_type, COALESCE(priced_model, model)
       ORDER BY MIN(started_at), activity_type, model
      """)
  List<ActualStep> actualSteps(@Bind("runId") String runId);

  /** The latest estimate made for this run by id. */
  @SqlQuery(
      """
      SELECT estimate_id, workflow_type, workflow_id, run_id, low_usd, expected_usd, high_usd, created_at
        FROM cost_estimate WHERE run_id = :runId
       ORDER BY created_at DESC LIMIT 1
      """)
  Optional<EstimateHeader> estimateForRun(@Bind("runId") String runId);

  /**
   * The latest estimate made by workflow id before this run was first recorded, provided no other
   * run of that id was recorded in between (an estimate belongs to the next run of its id).
   */
  @SqlQuery(
      """
      SELECT e.estimate_id, e.workflow_type, e.workflow_id, e.run_id, e.low_usd, e.expected_usd, e.high_usd,
             e.created_at
        FROM cost_estimate e
       WHERE e.run_id IS NULL AND e.workflow_id = :workflowId AND e.created_at <= :firstRecordedAt
         AND NOT EXISTS (SELECT 1 FROM cost_execution x
                          WHERE x.workflow_id = e.workflow_id AND x.run_id <> :runId
                            AND x.first_recorded_at >= e.created_at AND x.first_recorded_at < :firstRecordedAt)
       ORDER BY e.created_at DESC LIMIT 1
      """)
  Optional<EstimateHeader> estimateForNextRun(
      @Bind("workflowId") String workflowId,
      @Bind("runId") String runId,
      @Bind("firstRecordedAt") Instant firstRecordedAt);

  @SqlQuery(
      """
      SELECT activity_type, provider, model, source, low_usd, expected_usd, high_usd
        FROM cost_estimate_step WHERE estimate_id = :estimateId ORDER BY step_no
      """)
  List<EstimateStep> estimateSteps(@Bind("estimateId") String estimateId);

  /** Spend per period and group summed from the step lines in [from, to). */
  @SqlQuery(
      """
      SELECT CAST(date_trunc(:unit, recorded_at AT TIME ZONE 'UTC') AS date) AS period_start,
             <group> AS "group", COALESCE(SUM(cost_usd), 0) AS cost_usd, COUNT(*) AS usage_count,
             COUNT(*) FILTER (WHERE NOT priced) AS unpriced_usage_count, SUM(input_tokens) AS input_tokens,
             SUM(output_tokens) AS output_tokens, SUM(images) AS images, SUM(video_seconds) AS video_seconds,
             SUM(characters) AS characters, SUM(audio_seconds) AS audio_seconds
        FROM cost_step
       WHERE recorded_at >= :from AND recorded_at < :to
       GROUP BY 1, 2
       ORDER BY 1, 3 DESC, 2
      """)
  List<PeriodTotal> stepTotals(
      @Bind("unit") String unit,
      @Define("group") String groupSql,
      @Bind("from") Instant from,
      @Bind("to") Instant to);

  /** The groups that cost the most in [from, to), summed from the step lines. */
  @SqlQuery(
      """
      SELECT "group", cost_usd,
             CASE WHEN SUM(cost_usd) OVER () = 0 THEN 0
                  ELSE ROUND(100 * cost_usd / SUM(cost_usd) OVER (), 2) END AS share_percent,
             usage_count, unpriced_usage_count
        FROM (SELECT <group> AS "group", COALESCE(SUM(cost_usd), 0) AS cost_usd, COUNT(*) AS usage_count,
                     COUNT(*) FILTER (WHERE NOT priced) AS unpriced_usage_count
                FROM cost_step
               WHERE recorded_at >= :from AND recorded_at < :to
               GROUP BY 1) g
       ORDER BY cost_usd DESC, "group"
       LIMIT :limit
      """)
  List<CostDriver> stepTopDrivers(
      @Define("group") String groupSql,
      @Bind("from") Instant from,
      @Bind("to") Instant to,
      @Bind("limit") int limit);

  /** The most expensive runs first recorded in [from, to). */
  @SqlQuery(
      """
      SELECT run_id, workflow_id, workflow_type, cost_usd, usage_count, unpriced_usage_count,
             first_recorded_at, last_recorded_at
        FROM cost_execution
       WHERE first_recorded_at >= :from AND first_recorded_at < :to
       ORDER BY cost_usd DESC, first_recorded_at DESC
       LIMIT :limit
      """)
  List<RunTotal> topRuns(
      @Bind("from") Instant from, @Bind("to") Instant to, @Bind("limit") int limit);

  /** The newest run of a workflow id. */
  @SqlQuery(
      """
      SELECT * FROM cost_execution
       WHERE workflow_id = :workflowId
       ORDER BY first_recorded_at DESC
       LIMIT 1
      """)
  Optional<ExecutionTotals> latestExecution(@Bind("workflowId") String workflowId);

  /** How many runs were first recorded in [from, to). */
  @SqlQuery(
      "SELECT COUNT(*) FROM cost_execution WHERE first_recorded_at >= :from AND first_recorded_at < :to")
  long runsBetween(@Bind("from") Instant from, @Bind("to") Instant to);

  /** How many runs of a workflow type have costs recorded. */
  @SqlQuery("SELECT COUNT(*) FROM cost_execution WHERE workflow_type = :workflowType")
  long runCount(@Bind("workflowType") String workflowType);

  /** Every line recorded for a run, in attempt order. */
  @SqlQuery(
      """
      SELECT * FROM cost_step WHERE run_id = :runId
       ORDER BY started_at, activity_id, attempt, line_no
      """)
  List<StepRow> steps(@Bind("runId") String runId);

  @SqlQuery(
      """
      SELECT run_id, parent_run_id, COALESCE(root_run_id, run_id) AS root_run_id, soft_limit_usd,
             hard_limit_usd, CAST(tree_limits AS text) AS tree_limits
        FROM cost_execution WHERE run_id = :runId
      """)
  Optional<RunLinks> runLinks(@Bind("runId") String runId);

  /**
   * The runs below {@code runId} (children, their children, ...), at most {@code limit} of them and
   * {@code maxDepth} levels deep; each level is an index lookup on parent_run_id.
   */
  @SqlQuery(
      """
      WITH RECURSIVE tree AS (
        SELECT run_id, parent_run_id, workflow_id, workflow_type, cost_usd, first_recorded_at, 1 AS depth
          FROM cost_execution WHERE parent_run_id = :runId
        UNION ALL
        SELECT e.run_id, e.parent_run_id, e.workflow_id, e.workflow_type, e.cost_usd, e.first_recorded_at,
               t.depth + 1
          FROM cost_execution e JOIN tree t ON e.parent_run_id = t.run_id
         WHERE t.depth < :maxDepth AND e.run_id <> :runId
      )
      SELECT * FROM tree ORDER BY depth, first_recorded_at, run_id LIMIT :limit
      """)
  List<TreeRow> descendants(
      @Bind("runId") String runId, @Bind("maxDepth") int maxDepth, @Bind("limit") int limit);

  /**
   * The limits this run crossed, the period budgets that blocked it and the activities it was
   * refused, oldest first.
   */
  @SqlQuery(
      """
      SELECT subject, threshold, level, action, limit_usd, spent_usd, created_at AS at, activity_type,
             expected_usd
        FROM budget_alert
       WHERE run_id = :runId AND (level = 'EXCEEDED' OR level = 'BLOCKED' OR subject = 'run:' || :runId)
       ORDER BY created_at, id
      """)
  List<RunDetail.Crossing> crossings(@Bind("runId") String runId);

  /** Final totals of the given runs that match the filter. */
  @SqlQuery(
      """
      SELECT run_id, workflow_id, workflow_type, cost_usd, usage_count, unpriced_usage_count,
             first_recorded_at, last_recorded_at
        FROM cost_execution WHERE run_id = ANY(:runIds)
         AND (CAST(:workflowType AS text) IS NULL OR workflow_type = :workflowType)
         AND (CAST(:taskQueue AS text) IS NULL OR task_queue = :taskQueue)
         AND (CAST(:tenant AS text) IS NULL OR tags ->> 'tenant' = :tenant)
      """)
  List<RunTotal> runTotals(
      @Bind("runIds") String[] runIds,
      @Bind("workflowType") String workflowType,
      @Bind("taskQueue") String taskQueue,
      @Bind("tenant") String tenant);

  /**
   * Spend per day and model over [from, to) from the rollup's shards (summed directly, not through
   * the view, which would first sum every column per full key), narrowed by the filter ({@code
   * <filter>}: SQL from {@link OverviewRuns}, values bound).
   */
  @AllowUnusedBindings
  @SqlQuery(
      """
      SELECT day AS period_start, model AS "group",
             SUM(cost_usd) AS cost_usd, SUM(usage_count) AS usage_count,
             SUM(unpriced_usage_count) AS unpriced_usage_count, SUM(input_tokens) AS input_tokens,
             SUM(output_tokens) AS output_tokens, SUM(images) AS images, SUM(video_seconds) AS video_seconds,
             SUM(characters) AS characters, SUM(audio_seconds) AS audio_seconds
        FROM cost_rollup_daily_shard
       WHERE day >= :from AND day < :to <filter>
       GROUP BY 1, 2
      HAVING SUM(usage_count) != 0
       ORDER BY 1, 3 DESC, 2
      """)
  List<PeriodTotal> filteredSpendByModel(
      @Define("filter") String filter,
      @Bind("from") LocalDate from,
      @Bind("to") LocalDate to,
      @Bind("workflowType") String workflowType,
      @Bind("taskQueue") String taskQueue,
      @Bind("tenant") String tenant);

  /**
   * How many runs were first recorded on days [from, to), narrowed by the filter ({@code <filter>}:
   * SQL from {@link OverviewRuns}, values bound), from the runs rollup's shards.
   */
  @AllowUnusedBindings
  @SqlQuery(
      """
      SELECT COALESCE(SUM(run_count), 0) FROM cost_runs_daily_shard
       WHERE day >= :from AND day < :to <filter>
      """)
  long rolledRunCount(
      @Define("filter") String filter,
      @Bind("from") LocalDate from,
      @Bind("to") LocalDate to,
      @Bind("workflowType") String workflowType,
      @Bind("taskQueue") String taskQueue,
      @Bind("tenant") String tenant);

  /**
   * The most expensive runs first recorded in [from, to) that match the filter among the {@code
   * scan} most expensive runs of all: walks the rank index from the top and stops at the {@code
   * limit}th match or after {@code scan} entries (the outer order is the walk's, so no sort waits
   * for the whole walk; {@code <filter>}: SQL from {@link OverviewRuns} over the rank row's
   * columns).
   */
  @AllowUnusedBindings
  @SqlQuery(
      """
      SELECT e.run_id, e.workflow_id, e.workflow_type, e.cost_usd, e.usage_count, e.unpriced_usage_count,
             e.first_recorded_at, e.last_recorded_at
        FROM (SELECT run_id
                FROM (SELECT run_id, first_recorded_at, workflow_type, task_queue, tenant, cost_usd
                        FROM cost_run_rank
                       ORDER BY cost_usd DESC, first_recorded_at DESC, run_id
                       LIMIT :scan) w
               WHERE first_recorded_at >= :from AND first_recorded_at < :to <filter>
               ORDER BY cost_usd DESC, first_recorded_at DESC, run_id
               LIMIT :limit) k
        JOIN cost_execution e ON e.run_id = k.run_id
       ORDER BY e.cost_usd DESC, e.first_recorded_at DESC, e.run_id
      """)
  List<RunTotal> rankedTopRuns(
      @Define("filter") String filter,
      @Bind("from") Instant from,
      @Bind("to") Instant to,
      @Bind("workflowType") String workflowType,
      @Bind("taskQueue") String taskQueue,
      @Bind("tenant") String tenant,
      @Bind("scan") int scan,
      @Bind("limit") int limit);

  /**
   * The most expensive runs first recorded in [from, to) that match the filter, from every such run
   * ({@code <filter>}: SQL from {@link OverviewRuns} over cost_execution's columns, so that the
   * index of the filtered column serves it).
   */
  @AllowUnusedBindings
  @SqlQuery(
      """
      SELECT run_id, workflow_id, workflow_type, cost_usd, usage_count, unpriced_usage_count,
             first_recorded_at, last_recorded_at
        FROM cost_execution
       WHERE first_recorded_at >= :from AND first_recorded_at < :to <filter>
       ORDER BY cost_usd DESC, first_recorded_at DESC, run_id
       LIMIT :limit
      """)
  List<RunTotal> scannedTopRuns(
      @Define("filter") String filter,
      @Bind("from") Instant from,
      @Bind("to") Instant to,
      @Bind("workflowType") String workflowType,
      @Bind("taskQueue") String taskQueue,
      @Bind("tenant") String tenant,
      @Bind("limit") int limit);

  /**
   * Models whose usage could not be priced in [from, to): how many records, the first and last
   * seen; reads only the unpriced lines (a partial index).
   */
  @SqlQuery(
      """
      SELECT provider, model, COUNT(*) AS unpriced_usage_count, COUNT(DISTINCT run_id) AS runs,
             MIN(recorded_at) AS first_seen, MAX(recorded_at) AS last_seen, MIN(unpriced_reason) AS reason
        FROM cost_step
       WHERE NOT priced AND recorded_at >= :from AND recorded_at < :to
         AND (CAST(:workflowType AS text) IS NULL OR workflow_type = :workflowType)
         AND (CAST(:taskQueue AS text) IS NULL OR task_queue = :taskQueue)
         AND (CAST(:tenant AS text) IS NULL OR tags ->> 'tenant' = :tenant)
       GROUP BY provider, model
       ORDER BY 3 DESC, provider, model
       LIMIT 50
      """)
  List<UnpricedModel> unpricedModels(
      @Bind("from") Instant from,
      @Bind("to") Instant to,
      @Bind("workflowType") String workflowType,
      @Bind("taskQueue") String taskQueue,
      @Bind("tenant") String tenant);

  /**
   * The values of a rollup column ({@link Dimension}, never user text) seen in [from, to), from the
   * rollup's shards (every key of the view has a shard row).
   */
  @SqlQuery(
      """
      SELECT DISTINCT <column> FROM cost_rollup_daily_shard
       WHERE day >= :from AND day < :to AND <column> <> ''
       ORDER BY 1 LIMIT 200
      """)
  List<String> filterValues(
      @Define("column") String column, @Bind("from") LocalDate from, @Bind("to") LocalDate to);
}
