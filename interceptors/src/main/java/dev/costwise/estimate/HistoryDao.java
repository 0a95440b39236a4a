package dev.costwise.estimate;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * Percentiles of recorded per-attempt cost. PostgreSQL's {@code percentile_cont} only takes double
 * precision, so the same linear interpolation (position 1 + p(n - 1) in the sorted costs) is
 * computed here in NUMERIC, keeping the figures exact. Only the most recent {@code maxSamples}
 * priced lines of each activity type are read (whole attempts: an attempt's lines share their
 * recording time), found through the rollup and the (workflow type, activity type, recorded at)
 * index, so the cost of an estimate does not grow with the amount of history.
 */
@RegisterConstructorMapper(HistoryDao.Stat.class)
interface HistoryDao {

  /**
   * One activity type and model's recorded cost: {@code samples} priced attempts over {@code runs}
   * runs, and the 10th, 50th and 90th percentile of an attempt's cost with that model.
   */
  record Stat(
      String activityType,
      String model,
      String provider,
      long samples,
      long runs,
      BigDecimal p10,
      BigDecimal p50,
      BigDecimal p90) {}

  @SqlQuery(
      """
      WITH steps AS (
        SELECT DISTINCT activity_type FROM cost_rollup_daily_shard
         WHERE workflow_type = :workflowType AND day >= CAST(CAST(:since AS timestamptz) AT TIME ZONE 'UTC' AS date) AND usage_count > 0
      ), recent AS (
        SELECT c.*
          FROM steps a
          CROSS JOIN LATERAL (
            SELECT s.run_id, s.activity_id, s.attempt, s.activity_type, COALESCE(s.priced_model, s.model) AS model,
                   s.provider, s.cost_usd
              FROM cost_step s
             WHERE s.workflow_type = :workflowType AND s.activity_type = a.activity_type AND s.priced
               AND s.recorded_at >= GREATEST(
                     :since,
                     (SELECT t.recorded_at FROM cost_step t
                       WHERE t.workflow_type = :workflowType AND t.activity_type = a.activity_type AND t.priced
                         AND t.recorded_at >= :since
                       ORDER BY t.recorded_at DESC OFFSET :maxSamples - 1 LIMIT 1))) c
      ), attempts AS (
        SELECT run_id, activity_type, model, MIN(provider) AS provider, SUM(cost_usd) AS cost_usd
          FROM recent
         GROUP BY run_id, activity_id, attempt, activity_type, model
      ), ranked AS (
        SELECT activity_type, model, provider, run_id, cost_usd,
               ROW_NUMBER() OVER (PARTITION BY activity_type, model ORDER BY cost_usd) AS rn,
               COUNT(*) OVER (PARTITION BY activity_type, model) AS n
          FROM attempts
      ), positioned AS (
        SELECT r.*, 1 + 0.1 * (n - 1) AS x10, 1 + 0.5 * (n - 1) AS x50, 1 + 0.9 * (n - 1) AS x90
          FROM ranked r
      )
      SELECT activity_type, model, MIN(provider) AS provider, MAX(n) AS samples, COUNT(DISTINCT run_id) AS runs,
             SUM(CASE WHEN rn = FLOOR(x10) THEN cost_usd * (1 - (x10 - FLOOR(x10)))
                      WHEN rn = FLOOR(x10) + 1 THEN cost_usd * (x10 - FLOOR(x10)) ELSE 0 END) AS p10,
             SUM(CASE WHEN rn = FLOOR(x50) THEN cost_usd * (1 - (x50 - FLOOR(x50)))
                      WHEN rn = FLOOR(x50) + 1 THEN cost_usd * (x50 - FLOOR(x50)) ELSE 0 END) AS p50,
             SUM(CASE WHEN rn = FLOOR(x90) THEN cost_usd * (1 - (x90 - FLOOR(x90)))
                      WHEN rn = FLOOR(x90) + 1 THEN cost_usd * (x90 - FLOOR(x90)) ELSE 0 END) AS p90
        FROM positioned
       GROUP BY activity_type, model
       ORDER BY activity_type, model
      """)
  List<Stat> history(
      @Bind("workflowType") String workflowType,
      @Bind("since") Instant since,
      @Bind("maxSamples") int maxSamples);
}
