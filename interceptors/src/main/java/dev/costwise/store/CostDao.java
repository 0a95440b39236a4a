package dev.costwise.store;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.NoTemplateEngine;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.config.UseTemplateEngine;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * SQL for the cost tables. Used inside {@link CostStore}'s transactions. The SQL is used as written
 * (no template attributes), so no statement is parsed for them at every call.
 */
@UseTemplateEngine(NoTemplateEngine.class)
@RegisterConstructorMapper(StepRow.class)
@RegisterConstructorMapper(ExecutionTotals.class)
@RegisterConstructorMapper(CostDao.LockedRun.class)
@RegisterConstructorMapper(CostDao.StoredLine.class)
interface CostDao {
  /** A stored line, and the position (from 1) of the attempt it was looked up as. */
  record StoredLine(int attemptIndex, @org.jdbi.v3.core.mapper.Nested StepRow line) {}

  /**
   * The insert of rows into the rollup shards, as a write or a fold adds them, and the rule that
   * adds to the row already there: one list for both, so a usage kind added to the rollup is added
   * to each.
   */
  String ROLLUP_INSERT =
      """
      INSERT INTO cost_rollup_daily_shard AS r (day, provider, model, workflow_type, activity_type, task_queue,
                                    tenant, shard, cost_usd, usage_count, unpriced_usage_count, input_tokens,
                                    output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
                                    images, video_seconds, characters, audio_seconds, cache_write_1h_tokens,
                                    audio_input_tokens, audio_output_tokens, requests, web_searches)
      """;

  /**
   * Rows in key order (so writers and folds lock alike, never deadlocking), added to the row there.
   */
  String ROLLUP_ADD =
      """
       ORDER BY day, provider COLLATE "C", model COLLATE "C", workflow_type COLLATE "C",
                activity_type COLLATE "C", task_queue COLLATE "C", tenant COLLATE "C"
      ON CONFLICT (day, provider, model, workflow_type, activity_type, task_queue, tenant, shard) DO UPDATE SET
        cost_usd = r.cost_usd + EXCLUDED.cost_usd, usage_count = r.usage_count + EXCLUDED.usage_count,
        unpriced_usage_count = r.unpriced_usage_count + EXCLUDED.unpriced_usage_count,
        input_tokens = r.input_tokens + EXCLUDED.input_tokens, output_tokens = r.output_tokens + EXCLUDED.output_tokens,
        cache_read_tokens = r.cache_read_tokens + EXCLUDED.cache_read_tokens,
        cache_write_tokens = r.cache_write_tokens + EXCLUDED.cache_write_tokens,
        reasoning_tokens = r.reasoning_tokens + EXCLUDED.reasoning_tokens, images = r.images + EXCLUDED.images,
        video_seconds = r.video_seconds + EXCLUDED.video_seconds, characters = r.characters + EXCLUDED.characters,
        audio_seconds = r.audio_seconds + EXCLUDED.audio_seconds,
        cache_write_1h_tokens = r.cache_write_1h_tokens + EXCLUDED.cache_write_1h_tokens,
        audio_input_tokens = r.audio_input_tokens + EXCLUDED.audio_input_tokens,
        audio_output_tokens = r.audio_output_tokens + EXCLUDED.audio_output_tokens,
        requests = r.requests + EXCLUDED.requests, web_searches = r.web_searches + EXCLUDED.web_searches
      """;

  /**
   * A run's execution row as {@link #lockExecutions} found or created it: whether this statement
   * created it, and its tags as they were before this write (the write merges its own afterwards,
   * through {@link #trackRuns}, so that a change of the tenant tag is seen).
   */
  record LockedRun(
      String runId,
      boolean created,
      java.time.Instant firstRecordedAt,
      String workflowType,
      String taskQueue,
      String tags) {}

  /**
   * Creates each run's execution row if needed and locks it for the rest of the transaction, in one
   * statement; rows are taken in run-id order so that concurrent writers lock in the same order.
   * Arrays are parallel, one element per run. A run's limits are kept as first recorded ({@code
   * treeLimits} null: not known by this write). Tags are left as they are; {@code created} is read
   * from the row's {@code xmax}, which is 0 only on a row this statement inserted (an existing row
   * updated by {@code ON CONFLICT} carries the updating transaction's lock there).
   *
   * <p>An existing row is updated only when this write gives it lineage or limits it lacks; every
   * other conflicting row is locked without a new version ({@code ON CONFLICT DO UPDATE} locks each
   * row it considers, updated or not), so the usual write creates one row version per run, in the
   * batch's totals update, not two. Rows locked but not updated are not returned: {@link
   * #lockedRuns} reads them, once they are locked.
   */
  @SqlQuery(
      """
      INSERT INTO cost_execution (run_id, namespace, workflow_id, workflow_type, task_queue, tags,
                                  first_recorded_at, last_recorded_at, parent_run_id, root_run_id,
                                  chain_run_id, soft_limit_usd, hard_limit_usd, tree_limits)
      SELECT run_id, namespace, workflow_id, workflow_type, task_queue, tags, recorded_at, recorded_at,
             parent_run_id, root_run_id, chain_run_id, soft_limit_usd, hard_limit_usd, tree_limits
        FROM unnest(CAST(:runIds AS text[]), CAST(:namespaces AS text[]), CAST(:workflowIds AS text[]),
                    CAST(:workflowTypes AS text[]), CAST(:taskQueues AS text[]), CAST(:tags AS jsonb[]),
                    CAST(:recordedAt AS timestamptz[]), CAST(:parentRunIds AS text[]),
                    CAST(:rootRunIds AS text[]), CAST(:chainRunIds AS text[]),
                    CAST(:softLimits AS numeric[]), CAST(:hardLimits AS numeric[]),
                    CAST(:treeLimits AS jsonb[]))
             AS k(run_id, namespace, workflow_id, workflow_type, task_queue, tags, recorded_at,
                  parent_run_id, root_run_id, chain_run_id, soft_limit_usd, hard_limit_usd, tree_limits)
       ORDER BY run_id
      ON CONFLICT (run_id) DO UPDATE
         SET last_recorded_at = GREATEST(cost_execution.last_recorded_at, EXCLUDED.last_recorded_at),
             parent_run_id = COALESCE(cost_execution.parent_run_id, EXCLUDED.parent_run_id),
             root_run_id = COALESCE(cost_execution.root_run_id, EXCLUDED.root_run_id),
             chain_run_id = COALESCE(cost_execution.chain_run_id, EXCLUDED.chain_run_id),
             soft_limit_usd = CASE WHEN cost_execution.tree_limits IS NULL
                                   THEN EXCLUDED.soft_limit_usd ELSE cost_execution.soft_limit_usd END,
             hard_limit_usd = CASE WHEN cost_execution.tree_limits IS NULL
                                   THEN EXCLUDED.hard_limit_usd ELSE cost_execution.hard_limit_usd END,
             tree_limits = COALESCE(cost_execution.tree_limits, EXCLUDED.tree_limits)
       WHERE (cost_execution.parent_run_id IS NULL AND EXCLUDED.parent_run_id IS NOT NULL)
          OR (cost_execution.root_run_id IS NULL AND EXCLUDED.root_run_id IS NOT NULL)
          OR (cost_execution.chain_run_id IS NULL AND EXCLUDED.chain_run_id IS NOT NULL)
          OR (cost_execution.tree_limits IS NULL
              AND (EXCLUDED.tree_limits IS NOT NULL
                   OR cost_execution.soft_limit_usd IS DISTINCT FROM EXCLUDED.soft_limit_usd
                   OR cost_execution.hard_limit_usd IS DISTINCT FROM EXCLUDED.hard_limit_usd))
      RETURNING run_id, xmax = 0 AS created, first_recorded_at, workflow_type, task_queue,
                CAST(tags AS text) AS tags
      """)
  List<LockedRun> lockExecutions(
      @Bind("runIds") String[] runIds,
      @Bind("namespaces") String[] namespaces,
      @Bind("workflowIds") String[] workflowIds,
      @Bind("workflowTypes") String[] workflowTypes,
      @Bind("taskQueues") String[] taskQueues,
      @Bind("tags") String[] tags,
      @Bind("recordedAt") String[] recordedAt,
      @Bind("parentRunIds") String[] parentRunIds,
      @Bind("rootRunIds") String[] rootRunIds,
      @Bind("chainRunIds") String[] chainRunIds,
      @Bind("softLimits") String[] softLimits,
      @Bind("hardLimits") String[] hardLimits,
      @Bind("treeLimits") String[] treeLimits);

  /**
   * The execution rows of {@code runIds} as {@link #lockExecutions} locked them without updating
   * them (so it did not return them). A statement of its own, run after the locks are held: it
   * reads the rows as the last writer before this one committed them.
   */
  @SqlQuery(
      """
      SELECT run_id, false AS created, first_recorded_at, workflow_type, task_queue,
             CAST(tags AS text) AS tags
        FROM cost_execution WHERE run_id = ANY(CAST(:runIds AS text[]))
      """)
  List<LockedRun> lockedRuns(@Bind("runIds") String[] runIds);

  /**
   * Keeps the overview's run tables in step with the execution rows {@link #lockExecutions} holds:
   * merges the tags of the runs whose tags this write changes ({@code tagRuns}, {@code tagValues});
   * creates the rank row of each new run and moves that of a run whose tenant changed ({@code
   * rank*}, cost added later by {@link #applyBatch}); adds each run-count delta ({@code count*},
   * summed per key) to the rows of shard {@code shard}, in key order so that writers never
   * deadlock. Returns the rows touched.
   */
  @SqlQuery(
      """
      WITH retagged AS (
        UPDATE cost_execution e SET tags = e.tags || k.tags
          FROM unnest(CAST(:tagRuns AS text[]), CAST(:tagValues AS jsonb[])) AS k(run_id, tags)
         WHERE e.run_id = k.run_id AND e.run_id = ANY(CAST(:tagRuns AS text[]))
        RETURNING 1),
      ranked AS (
        INSERT INTO cost_run_rank AS k (run_id, first_recorded_at, workflow_type, task_queue, tenant, cost_usd)
        SELECT run_id, first_recorded_at, workflow_type, task_queue, tenant, 0
          FROM unnest(CAST(:rankRuns AS text[]), CAST(:rankFirst AS timestamptz[]),
                      CAST(:rankTypes AS text[]), CAST(:rankQueues AS text[]), CAST(:rankTenants AS text[]))
               AS r(run_id, first_recorded_at, workflow_type, task_queue, tenant)
         ORDER BY run_id
        ON CONFLICT (run_id) DO UPDATE SET tenant = EXCLUDED.tenant
        RETURNING 1),
      counted AS (
        INSERT INTO cost_runs_daily_shard AS c (day, workflow_type, task_queue, tenant, shard, run_count)
        SELECT day, workflow_type, task_queue, tenant, :shard, run_count
          FROM unnest(CAST(:countDays AS date[]), CAST(:countTypes AS text[]), CAST(:countQueues AS text[]),
                      CAST(:countTenants AS text[]), CAST(:countRuns AS bigint[]))
               AS d(day, workflow_type, task_queue, tenant, run_count)
         ORDER BY day, workflow_type COLLATE "C", task_queue COLLATE "C", tenant COLLATE "C"
        ON CONFLICT (day, workflow_type, task_queue, tenant, shard) DO UPDATE SET
          run_count = c.run_count + EXCLUDED.run_count
        RETURNING 1)
      SELECT (SELECT count(*) FROM retagged) + (SELECT count(*) FROM ranked) + (SELECT count(*) FROM counted)
      """)
  long trackRuns(
      @Bind("tagRuns") String[] tagRuns,
      @Bind("tagValues") String[] tagValues,
      @Bind("rankRuns") String[] rankRuns,
      @Bind("rankFirst") String[] rankFirst,
      @Bind("rankTypes") String[] rankTypes,
      @Bind("rankQueues") String[] rankQueues,
      @Bind("rankTenants") String[] rankTenants,
      @Bind("countDays") String[] countDays,
      @Bind("countTypes") String[] countTypes,
      @Bind("countQueues") String[] countQueues,
      @Bind("countTenants") String[] countTenants,
      @Bind("countRuns") long[] countRuns,
      @Bind("shard") short shard);

  /**
   * The lines already stored for several attempts, given as parallel arrays of their keys and start
   * times (ISO-8601, as the lines are written). {@code cost_step} is partitioned by month of start
   * time and every line of an attempt has the attempt's: matching it in the join lets PostgreSQL
   * prune at run time, so each attempt is looked up in its own month's partition instead of in
   * every month kept (24 partitions: 14,000 buffers read for 200 attempts against 800). Each line
   * comes with the position (from 1) of the attempt it was found under: PostgreSQL, not the caller,
   * decides which stored start time a given one is (it keeps microseconds, and rounds).
   */
  @SqlQuery(
      """
      SELECT k.idx AS attempt_index, s.* FROM cost_step s
        JOIN unnest(CAST(:runIds AS text[]), CAST(:activityIds AS text[]), CAST(:attempts AS int[]),
                    CAST(:startedAt AS timestamptz[])) WITH ORDINALITY
             AS k(run_id, activity_id, attempt, started_at, idx)
          ON s.run_id = k.run_id AND s.activity_id = k.activity_id AND s.attempt = k.attempt
         AND s.started_at = k.started_at
       ORDER BY k.idx, s.line_no
      """)
  List<StoredLine> linesOfStartedAttempts(
      @Bind("runIds") String[] runIds,
      @Bind("activityIds") String[] activityIds,
      @Bind("attempts") int[] attempts,
      @Bind("startedAt") String[] startedAt);

  /**
   * Applies a batch in one statement (one round trip), once {@link #lockExecutions} holds its runs
   * and {@link #linesOfStartedAttempts} gave the lines already stored: deletes the lines rewrites
   * no longer have (from {@code trimFrom} on, under the attempt's start time), upserts every line
   * from parallel arrays (see {@link StepColumns}), adds each run's delta to its totals ({@code d},
   * one per run in {@code keys}; the run's last record moves on to {@code lastAt} if later) and to
   * its rank row (the overview's list of costly runs), and each rollup key's delta to the rows of
   * rollup shard {@code shard} ({@code r}), rollup rows taken in key order so that concurrent
   * writers never deadlock. The rows each part touches are disjoint, as data-modifying WITH parts
   * must be. No key may appear twice in an array set. The updates also match their keys with {@code
   * = ANY(keys)}, so the planner can look them up in the primary key in one bitmap scan: a join on
   * unnested arrays alone is planned for ten rows whatever the batch, and against ten separate
   * index lookups a full scan of the rank table looked cheaper up to a few thousand runs (each
   * batch then read every rank row). Returns the lines upserted.
   */
  @SqlQuery(
      """
      WITH trimmed AS (
        DELETE FROM cost_step s
         USING unnest(CAST(:trimRuns AS text[]), CAST(:trimActivities AS text[]), CAST(:trimAttempts AS int[]),
                      CAST(:trimFrom AS int[]), CAST(:trimStarted AS timestamptz[]))
               AS k(run_id, activity_id, attempt, from_line, started_at)
         WHERE s.run_id = k.run_id AND s.activity_id = k.activity_id AND s.attempt = k.attempt
           AND s.started_at = k.started_at AND s.line_no >= k.from_line
        RETURNING 1),
      upserted AS (
        INSERT INTO cost_step (run_id, activity_id, attempt, line_no, namespace, workflow_id, workflow_type,
                               activity_type, task_queue, outcome, provider, model, priced_model, input_tokens,
                               output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, images,
                               image_size, image_quality, video_seconds, video_with_audio, characters,
                               audio_seconds, priced, unpriced_reason, cost_usd, input_cost, output_cost,
                               cache_read_cost, cache_write_cost, reasoning_cost, image_cost, video_cost,
                               speech_cost, audio_cost, tags, started_at, recorded_at,
                               cache_write_1h_tokens, cache_write_1h_cost, root_run_id, audio_input_tokens,
                               audio_output_tokens, service_tier, audio_input_cost, audio_output_cost,
                               catalog_source, catalog_as_of, catalog_hash, price_entry, priced_tier,
                               requests, web_searches, search_context_size, request_cost, web_search_cost)
        SELECT * FROM unnest(
          CAST(:c.runId AS text[]), CAST(:c.activityId AS text[]), CAST(:c.attempt AS int[]),
          CAST(:c.lineNo AS int[]), CAST(:c.namespace AS text[]), CAST(:c.workflowId AS text[]),
          CAST(:c.workflowType AS text[]), CAST(:c.activityType AS text[]), CAST(:c.taskQueue AS text[]),
          CAST(:c.outcome AS text[]), CAST(:c.provider AS text[]), CAST(:c.model AS text[]),
          CAST(:c.pricedModel AS text[]), CAST(:c.inputTokens AS bigint[]), CAST(:c.outputTokens AS bigint[]),
          CAST(:c.cacheReadTokens AS bigint[]), CAST(:c.cacheWriteTokens AS bigint[]),
          CAST(:c.reasoningTokens AS bigint[]), CAST(:c.images AS bigint[]), CAST(:c.imageSize AS text[]),
          CAST(:c.imageQuality AS text[]), CAST(:c.videoSeconds AS numeric[]),
          CAST(:c.videoWithAudio AS boolean[]), CAST(:c.characters AS bigint[]),
          CAST(:c.audioSeconds AS numeric[]), CAST(:c.priced AS boolean[]), CAST(:c.unpricedReason AS text[]),
          CAST(:c.costUsd AS numeric[]), CAST(:c.inputCost AS numeric[]), CAST(:c.outputCost AS numeric[]),
          CAST(:c.cacheReadCost AS numeric[]), CAST(:c.cacheWriteCost AS numeric[]),
          CAST(:c.reasoningCost AS numeric[]), CAST(:c.imageCost AS numeric[]), CAST(:c.videoCost AS numeric[]),
          CAST(:c.speechCost AS numeric[]), CAST(:c.audioCost AS numeric[]), CAST(:c.tags AS jsonb[]),
          CAST(:c.startedAt AS timestamptz[]), CAST(:c.recordedAt AS timestamptz[]),
          CAST(:c.cacheWrite1hTokens AS bigint[]), CAST(:c.cacheWrite1hCost AS numeric[]),
          CAST(:c.rootRunId AS text[]),
          CAST(:c.audioInputTokens AS bigint[]), CAST(:c.audioOutputTokens AS bigint[]),
          CAST(:c.serviceTier AS text[]), CAST(:c.audioInputCost AS numeric[]),
          CAST(:c.audioOutputCost AS numeric[]), CAST(:c.catalogSource AS text[]),
          CAST(:c.catalogAsOf AS text[]), CAST(:c.catalogHash AS text[]), CAST(:c.priceEntry AS text[]),
          CAST(:c.pricedTier AS text[]), CAST(:c.requests AS bigint[]), CAST(:c.webSearches AS bigint[]),
          CAST(:c.searchContextSize AS text[]), CAST(:c.requestCost AS numeric[]),
          CAST(:c.webSearchCost AS numeric[]))
        ON CONFLICT (run_id, activity_id, attempt, line_no, started_at) DO UPDATE SET
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
          cache_write_1h_cost = EXCLUDED.cache_write_1h_cost,
          root_run_id = COALESCE(EXCLUDED.root_run_id, cost_step.root_run_id),
          audio_input_tokens = EXCLUDED.audio_input_tokens, audio_output_tokens = EXCLUDED.audio_output_tokens,
          service_tier = EXCLUDED.service_tier, audio_input_cost = EXCLUDED.audio_input_cost,
          audio_output_cost = EXCLUDED.audio_output_cost, catalog_source = EXCLUDED.catalog_source,
          catalog_as_of = EXCLUDED.catalog_as_of, catalog_hash = EXCLUDED.catalog_hash,
          price_entry = EXCLUDED.price_entry, priced_tier = EXCLUDED.priced_tier,
          requests = EXCLUDED.requests, web_searches = EXCLUDED.web_searches,
          search_context_size = EXCLUDED.search_context_size, request_cost = EXCLUDED.request_cost,
          web_search_cost = EXCLUDED.web_search_cost
        RETURNING 1),
      totals AS (
        UPDATE cost_execution e SET
          cost_usd = e.cost_usd + d.cost_usd, input_tokens = e.input_tokens + d.input_tokens,
          output_tokens = e.output_tokens + d.output_tokens,
          cache_read_tokens = e.cache_read_tokens + d.cache_read_tokens,
          cache_write_tokens = e.cache_write_tokens + d.cache_write_tokens,
          cache_write_1h_tokens = e.cache_write_1h_tokens + d.cache_write_1h_tokens,
          reasoning_tokens = e.reasoning_tokens + d.reasoning_tokens, images = e.images + d.images,
          video_seconds = e.video_seconds + d.video_seconds, characters = e.characters + d.characters,
          audio_seconds = e.audio_seconds + d.audio_seconds, usage_count = e.usage_count + d.usage_count,
          unpriced_usage_count = e.unpriced_usage_count + d.unpriced_usage_count,
          audio_input_tokens = e.audio_input_tokens + d.audio_input_tokens,
          audio_output_tokens = e.audio_output_tokens + d.audio_output_tokens,
          requests = e.requests + d.requests, web_searches = e.web_searches + d.web_searches,
          last_recorded_at = GREATEST(e.last_recorded_at, d.last_at)
          FROM unnest(CAST(:keys AS text[]), CAST(:lastAt AS timestamptz[]), CAST(:d.costUsd AS numeric[]),
                      CAST(:d.inputTokens AS bigint[]), CAST(:d.outputTokens AS bigint[]),
                      CAST(:d.cacheReadTokens AS bigint[]), CAST(:d.cacheWriteTokens AS bigint[]),
                      CAST(:d.reasoningTokens AS bigint[]),
                      CAST(:d.images AS bigint[]), CAST(:d.videoSeconds AS numeric[]),
                      CAST(:d.characters AS bigint[]), CAST(:d.audioSeconds AS numeric[]),
                      CAST(:d.usageCount AS bigint[]), CAST(:d.unpricedUsageCount AS bigint[]),
                      CAST(:d.cacheWrite1hTokens AS bigint[]), CAST(:d.audioInputTokens AS bigint[]),
                      CAST(:d.audioOutputTokens AS bigint[]), CAST(:d.requests AS bigint[]),
                      CAST(:d.webSearches AS bigint[]))
               AS d(run_id, last_at, cost_usd, input_tokens, output_tokens, cache_read_tokens,
                    cache_write_tokens, reasoning_tokens, images, video_seconds, characters, audio_seconds,
                    usage_count, unpriced_usage_count, cache_write_1h_tokens, audio_input_tokens,
                    audio_output_tokens, requests, web_searches)
         WHERE e.run_id = d.run_id AND e.run_id = ANY(CAST(:keys AS text[]))
        RETURNING 1),
      ranked AS (
        UPDATE cost_run_rank k SET cost_usd = k.cost_usd + d.cost_usd
          FROM unnest(CAST(:keys AS text[]), CAST(:d.costUsd AS numeric[])) AS d(run_id, cost_usd)
         WHERE k.run_id = d.run_id AND k.run_id = ANY(CAST(:keys AS text[])) AND d.cost_usd <> 0
        RETURNING 1),
      rolled AS (
        """
          + ROLLUP_INSERT
          + """
        SELECT day, provider, model, workflow_type, activity_type, task_queue, tenant, :shard, cost_usd, usage_count,
               unpriced_usage_count, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
               reasoning_tokens, images, video_seconds, characters, audio_seconds, cache_write_1h_tokens,
               audio_input_tokens, audio_output_tokens, requests, web_searches
          FROM unnest(CAST(:day AS date[]), CAST(:provider AS text[]), CAST(:model AS text[]),
                      CAST(:workflowType AS text[]), CAST(:activityType AS text[]), CAST(:taskQueue AS text[]),
                      CAST(:tenant AS text[]), CAST(:r.costUsd AS numeric[]), CAST(:r.usageCount AS bigint[]),
                      CAST(:r.unpricedUsageCount AS bigint[]), CAST(:r.inputTokens AS bigint[]),
                      CAST(:r.outputTokens AS bigint[]), CAST(:r.cacheReadTokens AS bigint[]),
                      CAST(:r.cacheWriteTokens AS bigint[]), CAST(:r.reasoningTokens AS bigint[]),
                      CAST(:r.images AS bigint[]), CAST(:r.videoSeconds AS numeric[]),
                      CAST(:r.characters AS bigint[]), CAST(:r.audioSeconds AS numeric[]),
                      CAST(:r.cacheWrite1hTokens AS bigint[]), CAST(:r.audioInputTokens AS bigint[]),
                      CAST(:r.audioOutputTokens AS bigint[]), CAST(:r.requests AS bigint[]),
                      CAST(:r.webSearches AS bigint[]))
               AS k(day, provider, model, workflow_type, activity_type, task_queue, tenant, cost_usd,
                    usage_count, unpriced_usage_count, input_tokens, output_tokens, cache_read_tokens,
                    cache_write_tokens, reasoning_tokens, images, video_seconds, characters, audio_seconds,
                    cache_write_1h_tokens, audio_input_tokens, audio_output_tokens, requests, web_searches)
"""
          + ROLLUP_ADD
          + """
        RETURNING 1)
      SELECT count(*) FROM upserted
      """)
  int applyBatch(
      @Bind("trimRuns") String[] trimRuns,
      @Bind("trimActivities") String[] trimActivities,
      @Bind("trimAttempts") int[] trimAttempts,
      @Bind("trimFrom") int[] trimFrom,
      @Bind("trimStarted") String[] trimStarted,
      @BindMethods("c") StepColumns lines,
      @Bind("keys") String[] runIds,
      @Bind("lastAt") String[] lastRecordedAt,
      @BindMethods("d") DeltaColumns totals,
      @Bind("day") String[] day,
      @Bind("provider") String[] provider,
      @Bind("model") String[] model,
      @Bind("workflowType") String[] workflowType,
      @Bind("activityType") String[] activityType,
      @Bind("taskQueue") String[] taskQueue,
      @Bind("tenant") String[] tenant,
      @Bind("shard") short shard,
      @BindMethods("r") DeltaColumns rollup);

  /**
   * Folds the rollup shards of the days before {@code before} into shard 0, so that reports over
   * past days read one row per key. Rows are locked in key order first, shard after key, the order
   * every writer locks its own shard's rows in, so folding never deadlocks with a writer. Returns
   * the shard rows folded.
   */
  @SqlQuery(
      """
      WITH locked AS (
        SELECT day, provider, model, workflow_type, activity_type, task_queue, tenant, shard
          FROM cost_rollup_daily_shard
         WHERE day < :before AND shard <> 0
         ORDER BY day, provider COLLATE "C", model COLLATE "C", workflow_type COLLATE "C",
                  activity_type COLLATE "C", task_queue COLLATE "C", tenant COLLATE "C", shard
           FOR UPDATE),
      folded AS (
        DELETE FROM cost_rollup_daily_shard s USING locked l
         WHERE s.day = l.day AND s.provider = l.provider AND s.model = l.model
           AND s.workflow_type = l.workflow_type AND s.activity_type = l.activity_type
           AND s.task_queue = l.task_queue AND s.tenant = l.tenant AND s.shard = l.shard
        RETURNING s.*),
      added AS (
        """
          + ROLLUP_INSERT
          + """
        SELECT day, provider, model, workflow_type, activity_type, task_queue, tenant, 0, SUM(cost_usd),
               SUM(usage_count), SUM(unpriced_usage_count), SUM(input_tokens), SUM(output_tokens),
               SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(images),
               SUM(video_seconds), SUM(characters), SUM(audio_seconds), SUM(cache_write_1h_tokens),
               SUM(audio_input_tokens), SUM(audio_output_tokens), SUM(requests), SUM(web_searches)
          FROM folded
         GROUP BY day, provider, model, workflow_type, activity_type, task_queue, tenant
"""
          + ROLLUP_ADD
          + """
        RETURNING 1)
      SELECT count(*) FROM folded
      """)
  int foldRollupShards(@Bind("before") java.time.LocalDate before);

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
