-- Costwise cost schema, version 10: indexes for the dashboard's overview and run page.
--
-- The overview lists the most expensive runs first recorded in a date range (optionally of one
-- workflow type, task queue or tenant). cost_execution is only indexed by workflow id and by
-- (workflow type, first recorded); this index serves the range without a workflow type, so the list
-- reads the range's runs instead of every run ever recorded.
CREATE INDEX cost_execution_first_recorded_idx ON cost_execution (first_recorded_at);

-- The run page lists the limits a run crossed; budget_alert was only keyed by its cooldown.
CREATE INDEX budget_alert_run_idx ON budget_alert (run_id);
