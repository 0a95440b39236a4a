-- Costwise cost schema, version 13: fees charged per request and per web search.
--
-- Some providers bill per call besides per token: a fee per API request (Perplexity's online
-- models, search and rerank APIs) and a fee per web search a model ran with its web-search tool,
-- which for some models depends on the search context size (low, medium, high). Every line keeps
-- the counts, the context size and the fee paid for each; execution totals and daily rollups carry
-- the counts like every other usage kind. Lines written before this version count zero of each.

ALTER TABLE cost_step
    ADD COLUMN requests            BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN web_searches        BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN search_context_size TEXT,
    ADD COLUMN request_cost        NUMERIC(38,18),
    ADD COLUMN web_search_cost     NUMERIC(38,18);

ALTER TABLE cost_execution
    ADD COLUMN requests     BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN web_searches BIGINT NOT NULL DEFAULT 0;

ALTER TABLE cost_rollup_daily_shard
    ADD COLUMN requests     BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN web_searches BIGINT NOT NULL DEFAULT 0;

-- The view that sums the shards gains the two counts, appended after its existing columns (which
-- keep their names, order and types, so the view is replaced in place).
CREATE OR REPLACE VIEW cost_rollup_daily AS
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
       CAST(SUM(audio_output_tokens) AS BIGINT)       AS audio_output_tokens,
       CAST(SUM(requests) AS BIGINT)                  AS requests,
       CAST(SUM(web_searches) AS BIGINT)              AS web_searches
  FROM cost_rollup_daily_shard
 GROUP BY day, provider, model, workflow_type, activity_type, task_queue, tenant;
