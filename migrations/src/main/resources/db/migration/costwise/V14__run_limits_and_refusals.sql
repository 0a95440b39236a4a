-- Costwise cost schema, version 14: the budget outcome of a run is readable from the database even
-- when no limit was crossed.
--
-- 1. A run's limits. Activities carry their run's limits in the run header, and the store writes
--    them with the execution row:
--      soft_limit_usd, hard_limit_usd  the run's own limits (they hold for its continue-as-new chain
--                                      and everything it starts); null: no such limit
--      tree_limits                     the limits of ancestor runs that cover this run, outermost
--                                      first, as [{"runId": "...", "softUsd": "...", "hardUsd": "..."}]
--                                      ('[]' when none); null when the run's limits were not
--                                      recorded (rows written before this version)
--
-- 2. Refusals. An activity refused before it was scheduled (its expected cost would have crossed a
--    hard limit or a blocking period budget) spent nothing, so no threshold was crossed; the run
--    now stores an alert with action REFUSE (subject 'run:<run id>', threshold 'refused:<limit>'),
--    naming the refused activity type and its expected cost.

ALTER TABLE cost_execution
    ADD COLUMN soft_limit_usd NUMERIC(38,18),
    ADD COLUMN hard_limit_usd NUMERIC(38,18),
    ADD COLUMN tree_limits    JSONB;

ALTER TABLE budget_alert
    ADD COLUMN activity_type TEXT,
    ADD COLUMN expected_usd  NUMERIC(38,18);

ALTER TABLE budget_alert DROP CONSTRAINT budget_alert_action_check;
ALTER TABLE budget_alert
    ADD CONSTRAINT budget_alert_action_check
    CHECK (action IN ('NOTIFY', 'BLOCK', 'FAIL', 'REFUSE'));
