-- Costwise cost schema, version 12: the write path at fleet scale.
--
-- 1. The daily rollup is kept in shards. Every write transaction adds its deltas to rows of its own
--    shard (a small number the writer holds while its transaction runs), so concurrent writers,
--    threads of one worker or several workers, no longer queue for the same rollup rows' locks
--    until each other's commit. cost_rollup_daily becomes a view that sums the shards: readers
--    see one row per day and dimension, with the same columns and types as before.
--
-- 2. cost_step loses its foreign key to cost_execution. The key was checked by a trigger once per
--    inserted line (a lookup and a row lock on the execution), the costliest part of a line's
--    insert after the line itself; the store creates and locks the execution row in the same
--    transaction, before it writes any line of the run, so every line still has its execution.

ALTER TABLE cost_rollup_daily RENAME TO cost_rollup_daily_shard;
ALTER TABLE cost_rollup_daily_shard DROP CONSTRAINT cost_rollup_daily_pkey;
ALTER TABLE cost_rollup_daily_shard ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0 CHECK (shard >= 0);
ALTER TABLE cost_rollup_daily_shard
    ADD PRIMARY KEY (day, provider, model, workflow_type, activity_type, task_queue, tenant, shard);

CREATE VIEW cost_rollup_daily AS
SELECT day, provider, model, workflow_type, activity_type, task_queue, tenant,
       CAST(SUM(cost_usd) AS NUMERIC(38,18))          AS cost_usd,
       CAST(SUM(usage_count) AS BIGINT)               AS usage_count,
       CAST(SUM(unpriced_usage_count) AS BIGINT)      AS unpriced_usage_count,
       CAST(SUM(input_tokens) AS BIGINT)              AS input_tokens,
       CAST(SUM(output_tokens) AS BIGINT)             AS output_tokens,
       CAST(SUM(cache_read_tokens) AS BIGINT)         AS cache_read_tokens,
       CAST(SUM(cache_write_tokens) AS BIGINT)        AS cache_write_tokens,
       CAST(SUM(reasoning_tokens) AS BIGINT)          AS reasoning_tokens,
       CAST(SUM(images) AS BIGINT)                    AS images,
       CAST(SUM(video_seconds) AS NUMERIC(20,3))      AS video_seconds,
       CAST(SUM(characters) AS BIGINT)                AS characters,
       CAST(SUM(audio_seconds) AS NUMERIC(20,3))      AS audio_seconds,
       CAST(SUM(cache_write_1h_tokens) AS BIGINT)     AS cache_write_1h_tokens,
       CAST(SUM(audio_input_tokens) AS BIGINT)        AS audio_input_tokens,
       CAST(SUM(audio_output_tokens) AS BIGINT)       AS audio_output_tokens
  FROM cost_rollup_daily_shard
 GROUP BY day, provider, model, workflow_type, activity_type, task_queue, tenant;

ALTER TABLE cost_step DROP CONSTRAINT IF EXISTS cost_step_run_id_fkey;
