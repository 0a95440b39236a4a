-- Costwise cost schema, version 5: one-hour cache writes counted and priced apart from
-- default-lifetime (5-minute) writes. Anthropic bills 5-minute writes at 1.25x and one-hour writes
-- at 2x the input rate; cache_write_tokens keeps the default-lifetime writes, the new columns the
-- one-hour ones. Rows written before this version had no one-hour writes apart, hence 0.

ALTER TABLE cost_step
    ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cache_write_1h_cost   NUMERIC(38,18);

ALTER TABLE cost_execution
    ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0;

ALTER TABLE cost_rollup_daily
    ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0;
