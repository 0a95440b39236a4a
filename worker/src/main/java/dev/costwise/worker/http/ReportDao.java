package dev.costwise.worker.http;

import dev.costwise.store.StepRow;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * Read-side SQL over the cost tables for the HTTP API and dashboard. Grouping columns come from
 * {@link GroupBy}'s fixed set (defined, never user text); every value is bound.
 */
@RegisterConstructorMapper(ReportDao.Bucket.class)
@RegisterConstructorMapper(ReportDao.RunCost.class)
@RegisterConstructorMapper(StepRow.class)
public interface ReportDao {

  /** Spend in one period bucket for one group value. */
  record Bucket(
      Instant period,
      String grp,
      BigDecimal costUsd,
      long usageCount,
      long unpricedCount,
      long inputTokens,
      long outputTokens,
      long images,
      BigDecimal videoSeconds,
      long characters,
      BigDecimal audioSeconds) {}

  /** One run's total. */
  record RunCost(
      String runId,
      String workflowId,
      String workflowType,
      BigDecimal costUsd,
      int usageCount,
      int unpricedUsageCount,
      Instant firstRecordedAt,
      Instant lastRecordedAt) {}

  /** Spend per {@code period} ("day" or "month", UTC) and group in [from, to). */
  @SqlQuery(
      """
      SELECT date_trunc(:period, recorded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period,
             <group> AS grp,
             COALESCE(SUM(cost_usd), 0) AS cost_usd,
             COUNT(*) AS usage_count,
             COUNT(*) FILTER (WHERE NOT priced) AS unpriced_count,
             SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
             SUM(images) AS images, SUM(video_seconds) AS video_seconds,
             SUM(characters) AS characters, SUM(audio_seconds) AS audio_seconds
        FROM cost_step
       WHERE recorded_at >= :from AND recorded_at < :to
       GROUP BY 1, 2
       ORDER BY 1, 3 DESC
      """)
  List<Bucket> totals(
      @Bind("period") String period,
      @Define("group") String groupSql,
      @Bind("from") Instant from,
      @Bind("to") Instant to);

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
  List<RunCost> topRuns(
      @Bind("from") Instant from, @Bind("to") Instant to, @Bind("limit") int limit);

  /** The latest runs of a workflow id, newest first. */
  @SqlQuery(
      """
      SELECT run_id, workflow_id, workflow_type, cost_usd, usage_count, unpriced_usage_count,
             first_recorded_at, last_recorded_at
        FROM cost_execution
       WHERE workflow_id = :workflowId
       ORDER BY first_recorded_at DESC
       LIMIT 1
      """)
  List<RunCost> latestRun(@Bind("workflowId") String workflowId);

  /** How many runs were first recorded in [from, to). */
  @SqlQuery(
      "SELECT COUNT(*) FROM cost_execution WHERE first_recorded_at >= :from AND first_recorded_at < :to")
  long runsBetween(@Bind("from") Instant from, @Bind("to") Instant to);

  /** How many runs of a workflow type have costs recorded. */
  @SqlQuery("SELECT COUNT(*) FROM cost_execution WHERE workflow_type = :workflowType")
  long runCount(@Bind("workflowType") String workflowType);

  /** Every step row recorded in [from, to), oldest first; the caller closes the stream. */
  @SqlQuery(
      "SELECT * FROM cost_step WHERE recorded_at >= :from AND recorded_at < :to ORDER BY recorded_at, run_id, activity_id, attempt, line_no")
  Stream<StepRow> stepsBetween(@Bind("from") Instant from, @Bind("to") Instant to);
}
