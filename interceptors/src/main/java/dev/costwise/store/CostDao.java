package dev.costwise.store;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** SQL for the cost tables. Used inside {@link CostStore}'s transactions. */
@RegisterConstructorMapper(StepRow.class)
@RegisterConstructorMapper(ExecutionTotals.class)
interface CostDao {

  /**
   * Creates each run's execution row if needed and locks it for the rest of the transaction; pass
   * them sorted by run id so that concurrent writers lock in the same order.
   */
  @SqlBatch(
      """
      INSERT INTO cost_execution (run_id, namespace, workflow_id, workflow_type, task_queue, tags,
                                  first_recorded_at, last_recorded_at)
      VALUES (:runId, :namespace, :workflowId, :workflowType, :taskQueue, CAST(:tags AS jsonb),
              :recordedAt, :recordedAt)
      ON CONFLICT (run_id) DO UPDATE
         SET last_recorded_at = GREATEST(cost_execution.last_recorded_at, EXCLUDED.last_recorded_at),
             tags = cost_execution.tags || EXCLUDED.tags
      """)
  void lockExecutions(@BindMethods List<StepRow> firstOfEachRun);

  /** The lines already stored for several attempts, given as parallel arrays of their keys. */
  @SqlQuery(
      """
      SELECT s.* FROM cost_step s
        JOIN unnest(CAST(:runIds AS text[]), CAST(:activityIds AS text[]), CAST(:attempts AS int[]))
             AS k(run_id, activity_id, attempt)
          ON s.run_id = k.run_id AND s.activity_id = k.activity_id AND s.attempt = k.attempt
       ORDER BY s.run_id, s.activity_id, s.attempt, s.line_no
      """)
  List<StepRow> linesOfAttempts(
      @Bind("runIds") String[] runIds,
      @Bind("activityIds") String[] activityIds,
      @Bind("attempts") int[] attempts);

  /** Removes an attempt's lines from {@code fromLine} on (when a rewrite has fewer lines). */
  @SqlUpdate(
      "DELETE FROM cost_step WHERE run_id = :runId AND activity_id = :activityId AND attempt = :attempt"
          + " AND line_no >= :fromLine")
  int deleteLinesFrom(
      @Bind("runId") String runId,
      @Bind("activityId") String activityId,
      @Bind("attempt") int attempt,
      @Bind("fromLine") int fromLine);

  /** Inserts or replaces each line; the key makes a repeated write replace, not add. */
  @SqlBatch(
      """
      INSERT INTO cost_step (run_id, activity_id, attempt, line_no, namespace, workflow_id, workflow_type,
                             activity_type, task_queue, outcome, provider, model, priced_model, input_tokens,
                             output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, images,
                             image_size, image_quality, video_seconds, video_with_audio, characters,
                             audio_seconds, priced, unpriced_reason, cost_usd, input_cost, output_cost,
                             cache_read_cost, cache_write_cost, reasoning_cost, image_cost, video_cost,
                             speech_cost, audio_cost, tags, started_at, recorded_at,
                             cache_write_1h_tokens, cache_write_1h_cost)
      VALUES (:runId, :activityId, :attempt, :lineNo, :namespace, :workflowId, :workflowType, :activityType,
              :taskQueue, :outcome, :provider, :model, :pricedModel, :inputTokens, :outputTokens,
              :cacheReadTokens, :cacheWriteTokens, :reasoningTokens, :images, :imageSize, :imageQuality,
              :videoSeconds, :videoWithAudio, :characters, :audioSeconds, :priced, :unpricedReason, :costUsd,
              :inputCost, :outputCost, :cacheReadCost, :cacheWriteCost, :reasoningCost, :imageCost,
              :videoCost, :speechCost, :audioCost, CAST(:tags AS jsonb), :startedAt, :recordedAt,
              :cacheWrite1hTokens, :cacheWrite1hCost)
      ON CONFLICT (run_id, activity_id, attempt, line_no) DO UPDATE SET
        outcome = EXCLUDED.outcome, provider = EXCLUDED.provider, model = EXCLUDED.model,
        priced_model = EXCLUDED.priced_model, input_tokens = EXCLUDED.input_tokens,
        output_tokens = EXCLUDED.output_tokens, cache_read_tokens = EXCLUDED.cache_read_tokens,
        cache_write_tokens = EXCLUDED.cache_write_tokens, reasoning_tokens = EXCLUDED.reasoning_tokens,
        images = EXCLUDED.images, image_size = EXCLUDED.image_size, image_quality = EXCLUDED.image_quality,
        video_seconds = EXCLUDED.video_seconds, video_with_audio = EXCLUDED.video_with_audio,
        characters = EXCLUDED.characters, audio_seconds = EXCLUDED.audio_seconds, priced = EXCLUDED.priced,
        unpriced_reason = EXCLUDED.unpriced_reason, cost_usd = EXCLUDED.cost_usd,
        input_cost = EXCLUDED.input_cost, output_cost = EXCLUDED.output_cost,
        cache_read_cost = EXCLUDED.cache_read_cost, cache_write_cost = EXCLUDED.cache_write_cost,
        reasoning_cost = EXCLUDED.reasoning_cost, image_cost = EXCLUDED.image_cost,
        video_cost = EXCLUDED.video_cost, speech_cost = EXCLUDED.speech_cost, audio_cost = EXCLUDED.audio_cost,
        tags = EXCLUDED.tags, recorded_at = EXCLUDED.recorded_at,
        cache_write_1h_tokens = EXCLUDED.cache_write_1h_tokens,
        cache_write_1h_cost = EXCLUDED.cache_write_1h_cost
      """)
  void upsertLines(@BindMethods List<StepRow> rows);

  /** Adds a (possibly negative) delta to each run's running totals. */
  @SqlBatch(
      """
      UPDATE cost_execution SET
        cost_usd = cost_usd + :d.costUsd, input_tokens = input_tokens + :d.inputTokens,
        output_tokens = output_tokens + :d.outputTokens, cache_read_tokens = cache_read_tokens + :d.cacheReadTokens,
        cache_write_tokens = cache_write_tokens + :d.cacheWriteTokens,
        cache_write_1h_tokens = cache_write_1h_tokens + :d.cacheWrite1hTokens,
        reasoning_tokens = reasoning_tokens + :d.reasoningTokens, images = images + :d.images,
        video_seconds = video_seconds + :d.videoSeconds, characters = characters + :d.characters,
        audio_seconds = audio_seconds + :d.audioSeconds, usage_count = usage_count + :d.usageCount,
        unpriced_usage_count = unpriced_usage_count + :d.unpricedUsageCount
      WHERE run_id = :runId
      """)
  void addToExecutions(
      @Bind("runId") List<String> runIds, @BindMethods("d") List<TotalsDelta> deltas);

  /**
   * Adds a (possibly negative) delta to each daily rollup row, creating it when new; pass keys in
   * {@link RollupKey#ORDER} so that concurrent writers lock rows in the same order.
   */
  @SqlBatch(
      """
      INSERT INTO cost_rollup_daily AS r (day, provider, model, workflow_type, activity_type, task_queue, tenant,
                                     cost_usd, usage_count, unpriced_usage_count, input_tokens, output_tokens,
                                     cache_read_tokens, cache_write_tokens, reasoning_tokens, images,
                                     video_seconds, characters, audio_seconds, cache_write_1h_tokens)
      VALUES (:k.day, :k.provider, :k.model, :k.workflowType, :k.activityType, :k.taskQueue, :k.tenant,
              :d.costUsd, :d.usageCount, :d.unpricedUsageCount, :d.inputTokens, :d.outputTokens,
              :d.cacheReadTokens, :d.cacheWriteTokens, :d.reasoningTokens, :d.images, :d.videoSeconds,
              :d.characters, :d.audioSeconds, :d.cacheWrite1hTokens)
      ON CONFLICT (day, provider, model, workflow_type, activity_type, task_queue, tenant) DO UPDATE SET
        cost_usd = r.cost_usd + EXCLUDED.cost_usd, usage_count = r.usage_count + EXCLUDED.usage_count,
        unpriced_usage_count = r.unpriced_usage_count + EXCLUDED.unpriced_usage_count,
        input_tokens = r.input_tokens + EXCLUDED.input_tokens, output_tokens = r.output_tokens + EXCLUDED.output_tokens,
        cache_read_tokens = r.cache_read_tokens + EXCLUDED.cache_read_tokens,
        cache_write_tokens = r.cache_write_tokens + EXCLUDED.cache_write_tokens,
        reasoning_tokens = r.reasoning_tokens + EXCLUDED.reasoning_tokens, images = r.images + EXCLUDED.images,
        video_seconds = r.video_seconds + EXCLUDED.video_seconds, characters = r.characters + EXCLUDED.characters,
        audio_seconds = r.audio_seconds + EXCLUDED.audio_seconds,
        cache_write_1h_tokens = r.cache_write_1h_tokens + EXCLUDED.cache_write_1h_tokens
      """)
  void addToRollup(
      @BindMethods("k") List<RollupKey> keys, @BindMethods("d") List<TotalsDelta> deltas);

  /** One execution's totals. */
  @SqlQuery("SELECT * FROM cost_execution WHERE run_id = :runId")
  Optional<ExecutionTotals> execution(@Bind("runId") String runId);

  /** Every line recorded for a run, in attempt order. */
  @SqlQuery(
      """
      SELECT * FROM cost_step WHERE run_id = :runId
       ORDER BY started_at, activity_id, attempt, line_no
      """)
  List<StepRow> steps(@Bind("runId") String runId);

  /** Keeps the rows of an attempt PostgreSQL rejected, as recorded, with the reason. */
  @SqlUpdate(
      """
      INSERT INTO cost_rejected (run_id, activity_id, attempt, cost_usd, reason, original)
      VALUES (:runId, :activityId, :attempt, :costUsd, :reason, :original)
      ON CONFLICT (run_id, activity_id, attempt) DO UPDATE SET
        cost_usd = EXCLUDED.cost_usd, reason = EXCLUDED.reason, original = EXCLUDED.original,
        rejected_at = now()
      """)
  void insertRejected(
      @Bind("runId") String runId,
      @Bind("activityId") String activityId,
      @Bind("attempt") int attempt,
      @Bind("costUsd") java.math.BigDecimal costUsd,
      @Bind("reason") String reason,
      @Bind("original") byte[] original);

  /** Rejected attempts, newest first. */
  @SqlQuery(
      """
      SELECT id, run_id, activity_id, attempt, cost_usd, reason, rejected_at, resolved_at,
             convert_from(original, 'UTF8') AS original
        FROM cost_rejected ORDER BY rejected_at DESC, id DESC LIMIT :limit
      """)
  @RegisterConstructorMapper(RejectedAttempt.class)
  List<RejectedAttempt> rejected(@Bind("limit") int limit);

  /** Rejected attempts nobody has resolved yet. */
  @SqlQuery("SELECT count(*) FROM cost_rejected WHERE resolved_at IS NULL")
  long unresolvedRejected();

  /** Marks rejected attempts resolved: those with the given ids, or all when {@code all}. */
  @SqlUpdate(
      "UPDATE cost_rejected SET resolved_at = now() WHERE resolved_at IS NULL"
          + " AND (:all OR id = ANY(CAST(:ids AS bigint[])))")
  int resolveRejected(@Bind("all") boolean all, @Bind("ids") long[] ids);
}
