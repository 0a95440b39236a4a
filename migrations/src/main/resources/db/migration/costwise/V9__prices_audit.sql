-- Costwise cost schema, version 9: prices you can audit.
--
-- Every step line records what it was priced with: the catalog (its source label, as-of date and a
-- hash of its content), the catalog entry applied (the model id, with its first day in force when
-- the entry is dated) and the service tier whose rates applied. Lines written before this version
-- have nulls there: the catalog they were priced with was not recorded.
--
-- Audio tokens of chat and realtime models are counted and priced apart from text tokens, and the
-- service tier a call ran at (batch, flex, priority; null for standard) is kept with the usage.
--
-- cost_correction keeps every change a reprice applied to a line: the old and new figures and the
-- catalog each came from, so a corrected bill can be traced back.

ALTER TABLE cost_step
    ADD COLUMN audio_input_tokens  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN audio_output_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN audio_input_cost    NUMERIC(38,18),
    ADD COLUMN audio_output_cost   NUMERIC(38,18),
    ADD COLUMN service_tier        TEXT,
    ADD COLUMN priced_tier         TEXT,
    ADD COLUMN catalog_source      TEXT,
    ADD COLUMN catalog_as_of       TEXT,
    ADD COLUMN catalog_hash        TEXT,
    ADD COLUMN price_entry         TEXT;

ALTER TABLE cost_execution
    ADD COLUMN audio_input_tokens  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN audio_output_tokens BIGINT NOT NULL DEFAULT 0;

ALTER TABLE cost_rollup_daily
    ADD COLUMN audio_input_tokens  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN audio_output_tokens BIGINT NOT NULL DEFAULT 0;

CREATE TABLE cost_correction (
    id                  BIGSERIAL PRIMARY KEY,
    run_id              TEXT NOT NULL,
    activity_id         TEXT NOT NULL,
    attempt             INT NOT NULL,
    line_no             INT NOT NULL,
    started_at          TIMESTAMPTZ NOT NULL,
    model               TEXT NOT NULL,
    old_priced          BOOLEAN NOT NULL,
    old_cost_usd        NUMERIC(38,18),
    old_catalog_source  TEXT,
    old_catalog_as_of   TEXT,
    old_catalog_hash    TEXT,
    old_price_entry     TEXT,
    new_priced          BOOLEAN NOT NULL,
    new_cost_usd        NUMERIC(38,18),
    new_catalog_source  TEXT,
    new_catalog_as_of   TEXT,
    new_catalog_hash    TEXT,
    new_price_entry     TEXT,
    corrected_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX cost_correction_line_idx ON cost_correction (run_id, activity_id, attempt, line_no);
