-- Every write updates the execution row of each run it touches (twice: the lock, then the totals),
-- the rank row of each run, and one row per rollup key of its shard. None of these updates changes
-- an indexed column, so PostgreSQL can keep the new row version on the same page without touching
-- any index (a heap-only update), but only if the page has room. Full pages turn every update into
-- a new entry in each of cost_execution's nine indexes. Leaving room on each page keeps the updates
-- heap-only; pages of rows stored before this migration get the room as their rows move on update.
ALTER TABLE cost_execution SET (fillfactor = 50);
ALTER TABLE cost_run_rank SET (fillfactor = 50);
ALTER TABLE cost_rollup_daily_shard SET (fillfactor = 70);
ALTER TABLE cost_runs_daily_shard SET (fillfactor = 70);
