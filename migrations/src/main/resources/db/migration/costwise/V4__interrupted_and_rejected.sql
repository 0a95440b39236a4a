-- An attempt whose worker died while it ran is recorded by the next start of that worker, from the
-- usage it had already made durable, with the outcome INTERRUPTED.
ALTER TABLE cost_step DROP CONSTRAINT IF EXISTS cost_step_outcome_check;
ALTER TABLE cost_step ADD CONSTRAINT cost_step_outcome_check
    CHECK (outcome IN ('COMPLETED', 'FAILED', 'CANCELED', 'INTERRUPTED'));

-- Writes PostgreSQL rejected as data (not as a lost connection). The cost itself is stored in
-- cost_step with the offending text values replaced, so totals, rollups and limits still count it;
-- the rows as they were recorded are kept here, byte for byte (UTF-8 JSON), with the reason.
CREATE TABLE cost_rejected (
    id          BIGSERIAL      PRIMARY KEY,
    run_id      TEXT           NOT NULL,
    activity_id TEXT           NOT NULL,
    attempt     INTEGER        NOT NULL,
    cost_usd    NUMERIC(38,18),
    reason      TEXT           NOT NULL,
    original    BYTEA          NOT NULL,
    rejected_at TIMESTAMPTZ    NOT NULL DEFAULT now(),
    -- set by `costwise rejected resolve` once an operator has dealt with it; until then /health
    -- reports DEGRADED
    resolved_at TIMESTAMPTZ,
    UNIQUE (run_id, activity_id, attempt)
);
