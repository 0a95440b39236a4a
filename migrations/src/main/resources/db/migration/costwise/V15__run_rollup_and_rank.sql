-- Costwise cost schema, version 15: what the dashboard's overview reads about runs, without reading
-- every run of its range.
--
-- 1. cost_runs_daily_shard counts runs per UTC day of their first record and per filter dimension
--    of the overview (workflow type, task queue, tenant: the run's "tenant" tag, '' when absent).
--    A run counts once, on the day it was first recorded. The store adds +1 when it creates a run's
--    execution row, and moves the count when a later write changes the run's tenant tag, in the
--    transaction that writes the run, in shards like the daily rollup (V12) so that concurrent
--    writers never wait for each other's rows.
--
-- 2. cost_run_rank holds, per run, the overview's filter columns and the run's total cost, with an
--    index in the order of the overview's list of most expensive runs. The list walks that index
--    until it has found enough runs of the range and filter. The index lives here and not on
--    cost_execution: every write updates a run's cost, and an index on cost_execution.cost_usd would
--    turn each of those updates from a heap-only (HOT) update into one that inserts into every index
--    of cost_execution; here a write updates one narrow row and two indexes.
--
-- 3. cost_execution gains indexes on the task queue and on the tenant tag, each with the first
--    record, for the lists and counts that have to read the runs of one queue or tenant. Neither
--    column changes on the write path (the tags only when a run's tags change), so updates stay HOT.

CREATE TABLE cost_runs_daily_shard (
    day           DATE     NOT NULL,
    workflow_type TEXT     NOT NULL,
    task_queue    TEXT     NOT NULL,
    tenant        TEXT     NOT NULL,
    shard         SMALLINT NOT NULL DEFAULT 0 CHECK (shard >= 0),
    run_count     BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (day, workflow_type, task_queue, tenant, shard)
);

CREATE TABLE cost_run_rank (
    run_id            TEXT           PRIMARY KEY,
    first_recorded_at TIMESTAMPTZ    NOT NULL,
    workflow_type     TEXT           NOT NULL,
    task_queue        TEXT           NOT NULL,
    tenant            TEXT           NOT NULL,
    cost_usd          NUMERIC(38,18) NOT NULL
);

-- Runs recorded before this version.
INSERT INTO cost_runs_daily_shard (day, workflow_type, task_queue, tenant, shard, run_count)
SELECT (first_recorded_at AT TIME ZONE 'UTC')::date, workflow_type, task_queue,
       COALESCE(tags ->> 'tenant', ''), 0, COUNT(*)
  FROM cost_execution
 GROUP BY 1, 2, 3, 4;

INSERT INTO cost_run_rank (run_id, first_recorded_at, workflow_type, task_queue, tenant, cost_usd)
SELECT run_id, first_recorded_at, workflow_type, task_queue, COALESCE(tags ->> 'tenant', ''), cost_usd
  FROM cost_execution;

CREATE INDEX cost_run_rank_cost_idx ON cost_run_rank (cost_usd DESC, first_recorded_at DESC, run_id);

CREATE INDEX cost_execution_queue_time_idx ON cost_execution (task_queue, first_recorded_at);
CREATE INDEX cost_execution_tenant_time_idx ON cost_execution ((tags ->> 'tenant'), first_recorded_at);
