-- Costwise cost schema, version 3: a daily rollup that period reports read instead of scanning
-- cost_step, and estimates made before a run, linked to the run they were made for.

-- One row per UTC day of recorded_at and reporting dimension. Kept in step with cost_step by the
-- store, in the transaction that writes the lines: a rewrite of an attempt adds its new lines and
-- subtracts its old ones, so the rollup never double counts. model is the catalog id the line was
-- priced as, or the recorded model when it was not priced; tenant is the "tenant" tag, '' when absent.
CREATE TABLE cost_rollup_daily (
    day                  DATE           NOT NULL,
    provider             TEXT           NOT NULL,
    model                TEXT           NOT NULL,
    workflow_type        TEXT           NOT NULL,
    activity_type        TEXT           NOT NULL,
    task_queue           TEXT           NOT NULL,
    tenant               TEXT           NOT NULL,
    cost_usd             NUMERIC(38,18) NOT NULL DEFAULT 0,
    usage_count          BIGINT         NOT NULL DEFAULT 0,
    unpriced_usage_count BIGINT         NOT NULL DEFAULT 0,
    input_tokens         BIGINT         NOT NULL DEFAULT 0,
    output_tokens        BIGINT         NOT NULL DEFAULT 0,
    cache_read_tokens    BIGINT         NOT NULL DEFAULT 0,
    cache_write_tokens   BIGINT         NOT NULL DEFAULT 0,
    reasoning_tokens     BIGINT         NOT NULL DEFAULT 0,
    images               BIGINT         NOT NULL DEFAULT 0,
    video_seconds        NUMERIC(20,3)  NOT NULL DEFAULT 0,
    characters           BIGINT         NOT NULL DEFAULT 0,
    audio_seconds        NUMERIC(20,3)  NOT NULL DEFAULT 0,
    PRIMARY KEY (day, provider, model, workflow_type, activity_type, task_queue, tenant)
);

-- Lines recorded before this version.
INSERT INTO cost_rollup_daily
SELECT (recorded_at AT TIME ZONE 'UTC')::date, provider, COALESCE(priced_model, model), workflow_type,
       activity_type, task_queue, COALESCE(tags ->> 'tenant', ''),
       COALESCE(SUM(cost_usd), 0), COUNT(*), COUNT(*) FILTER (WHERE NOT priced),
       SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens),
       SUM(reasoning_tokens), SUM(images), SUM(video_seconds), SUM(characters), SUM(audio_seconds)
  FROM cost_step
 GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- History for estimates: per-attempt cost by workflow type, activity type and model.
CREATE INDEX cost_step_type_activity_idx ON cost_step (workflow_type, activity_type, recorded_at);

-- An estimate made before a run. run_id is set when the caller named the run; otherwise the
-- estimate belongs to the next run of workflow_id recorded after created_at.
CREATE TABLE cost_estimate (
    estimate_id   TEXT           PRIMARY KEY,
    workflow_type TEXT           NOT NULL,
    workflow_id   TEXT,
    run_id        TEXT,
    low_usd       NUMERIC(38,18) NOT NULL,
    expected_usd  NUMERIC(38,18) NOT NULL,
    high_usd      NUMERIC(38,18) NOT NULL,
    unpriced_steps INTEGER       NOT NULL DEFAULT 0,
    rule          TEXT           NOT NULL,
    detail        JSONB          NOT NULL DEFAULT '{}'::jsonb,
    created_at    TIMESTAMPTZ    NOT NULL DEFAULT now()
);

CREATE INDEX cost_estimate_run_idx ON cost_estimate (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX cost_estimate_workflow_idx ON cost_estimate (workflow_id, created_at) WHERE workflow_id IS NOT NULL;

-- One row per estimated step: an activity type and model, with the source the figures came from.
CREATE TABLE cost_estimate_step (
    estimate_id   TEXT           NOT NULL REFERENCES cost_estimate (estimate_id) ON DELETE CASCADE,
    step_no       INTEGER        NOT NULL,
    activity_type TEXT           NOT NULL,
    provider      TEXT           NOT NULL,
    model         TEXT           NOT NULL,
    source        TEXT           NOT NULL CHECK (source IN ('PLAN', 'HISTORY', 'UNPRICED')),
    calls         NUMERIC(20,6)  NOT NULL,
    samples       INTEGER        NOT NULL DEFAULT 0,
    low_usd       NUMERIC(38,18),
    expected_usd  NUMERIC(38,18),
    high_usd      NUMERIC(38,18),
    PRIMARY KEY (estimate_id, step_no)
);
