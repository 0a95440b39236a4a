-- Costwise cost schema, version 1: priced usage per activity attempt and running totals per execution.
-- Money is NUMERIC(38,18): exact, wide enough for any realistic total, fine enough for per-token prices.

CREATE TABLE cost_execution (
    run_id               TEXT           PRIMARY KEY,
    namespace            TEXT           NOT NULL,
    workflow_id          TEXT           NOT NULL,
    workflow_type        TEXT           NOT NULL,
    task_queue           TEXT           NOT NULL,
    tags                 JSONB          NOT NULL DEFAULT '{}'::jsonb,
    cost_usd             NUMERIC(38,18) NOT NULL DEFAULT 0,
    input_tokens         BIGINT         NOT NULL DEFAULT 0,
    output_tokens        BIGINT         NOT NULL DEFAULT 0,
    cache_read_tokens    BIGINT         NOT NULL DEFAULT 0,
    cache_write_tokens   BIGINT         NOT NULL DEFAULT 0,
    reasoning_tokens     BIGINT         NOT NULL DEFAULT 0,
    images               BIGINT         NOT NULL DEFAULT 0,
    video_seconds        NUMERIC(20,3)  NOT NULL DEFAULT 0,
    characters           BIGINT         NOT NULL DEFAULT 0,
    audio_seconds        NUMERIC(20,3)  NOT NULL DEFAULT 0,
    usage_count          INTEGER        NOT NULL DEFAULT 0,
    unpriced_usage_count INTEGER        NOT NULL DEFAULT 0,
    first_recorded_at    TIMESTAMPTZ    NOT NULL,
    last_recorded_at     TIMESTAMPTZ    NOT NULL
);

CREATE INDEX cost_execution_workflow_id_idx ON cost_execution (workflow_id);
CREATE INDEX cost_execution_type_time_idx ON cost_execution (workflow_type, first_recorded_at);

-- One row per usage record of one activity attempt: an attempt that called one model is one row,
-- an attempt that called two models is two rows (line_no 0 and 1). The key makes a redelivered or
-- retried write of the same attempt replace, never add.
CREATE TABLE cost_step (
    run_id             TEXT           NOT NULL REFERENCES cost_execution (run_id),
    activity_id        TEXT           NOT NULL,
    attempt            INTEGER        NOT NULL CHECK (attempt >= 1),
    line_no            INTEGER        NOT NULL CHECK (line_no >= 0),
    namespace          TEXT           NOT NULL,
    workflow_id        TEXT           NOT NULL,
    workflow_type      TEXT           NOT NULL,
    activity_type      TEXT           NOT NULL,
    task_queue         TEXT           NOT NULL,
    outcome            TEXT           NOT NULL CHECK (outcome IN ('COMPLETED', 'FAILED', 'CANCELED')),
    provider           TEXT           NOT NULL,
    model              TEXT           NOT NULL,
    priced_model       TEXT,
    input_tokens       BIGINT         NOT NULL DEFAULT 0,
    output_tokens      BIGINT         NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT         NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT         NOT NULL DEFAULT 0,
    reasoning_tokens   BIGINT         NOT NULL DEFAULT 0,
    images             BIGINT         NOT NULL DEFAULT 0,
    image_size         TEXT,
    image_quality      TEXT,
    video_seconds      NUMERIC(20,3)  NOT NULL DEFAULT 0,
    video_with_audio   BOOLEAN        NOT NULL DEFAULT FALSE,
    characters         BIGINT         NOT NULL DEFAULT 0,
    audio_seconds      NUMERIC(20,3)  NOT NULL DEFAULT 0,
    priced             BOOLEAN        NOT NULL,
    unpriced_reason    TEXT,
    cost_usd           NUMERIC(38,18),
    input_cost         NUMERIC(38,18),
    output_cost        NUMERIC(38,18),
    cache_read_cost    NUMERIC(38,18),
    cache_write_cost   NUMERIC(38,18),
    reasoning_cost     NUMERIC(38,18),
    image_cost         NUMERIC(38,18),
    video_cost         NUMERIC(38,18),
    speech_cost        NUMERIC(38,18),
    audio_cost         NUMERIC(38,18),
    tags               JSONB          NOT NULL DEFAULT '{}'::jsonb,
    started_at         TIMESTAMPTZ    NOT NULL,
    recorded_at        TIMESTAMPTZ    NOT NULL,
    PRIMARY KEY (run_id, activity_id, attempt, line_no),
    CHECK (priced = (cost_usd IS NOT NULL))
);

CREATE INDEX cost_step_recorded_at_idx ON cost_step (recorded_at);
CREATE INDEX cost_step_unpriced_idx ON cost_step (recorded_at) WHERE NOT priced;
