-- Costwise cost schema, version 6: cost_step partitioned by month of started_at, so that old lines
-- can be dropped a whole month at a time (`costwise retention`) while execution totals and daily
-- rollups stay.
--
-- Why started_at: it is fixed when the attempt starts, so every write and rewrite of an attempt
-- lands in the same partition, and it can be part of the key (a partitioned table's unique keys
-- must contain the partition column). recorded_at changes when an attempt is rewritten and would
-- move rows between partitions.
--
-- Written without a column list: the new table copies whatever columns cost_step has at this
-- point (including any added by earlier versions), and the rows are copied with SELECT *.

ALTER TABLE cost_step RENAME TO cost_step_unpartitioned;
ALTER INDEX cost_step_pkey RENAME TO cost_step_unpartitioned_pkey;

CREATE TABLE cost_step (LIKE cost_step_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (started_at);

-- One partition per UTC calendar month, named cost_step_yYYYYmMM, from the month of the oldest
-- line to three months ahead. Later months are created by the store before it writes into them.
DO $$
DECLARE
    this_month  timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    first_month timestamp;
    last_month  timestamp;
    m           timestamp;
BEGIN
    SELECT date_trunc('month', min(started_at) AT TIME ZONE 'UTC'),
           date_trunc('month', max(started_at) AT TIME ZONE 'UTC')
      INTO first_month, last_month
      FROM cost_step_unpartitioned;
    m := LEAST(COALESCE(first_month, this_month), this_month);
    last_month := GREATEST(COALESCE(last_month, this_month), this_month + interval '3 months');
    WHILE m <= last_month LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF cost_step FOR VALUES FROM (%L) TO (%L)',
                       'cost_step_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                       to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00',
                       to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
        m := m + interval '1 month';
    END LOOP;
END
$$;

INSERT INTO cost_step SELECT * FROM cost_step_unpartitioned;

DROP TABLE cost_step_unpartitioned;

-- The key includes started_at (the partition column); an attempt's rows all share its start time.
ALTER TABLE cost_step ADD PRIMARY KEY (run_id, activity_id, attempt, line_no, started_at);
ALTER TABLE cost_step ADD CONSTRAINT cost_step_run_id_fkey
    FOREIGN KEY (run_id) REFERENCES cost_execution (run_id);

-- The indexes the queries use. cost_step_type_recorded_idx and cost_step_queue_recorded_idx are
-- not recreated: budgets by workflow type and task queue read cost_rollup_daily since version 3,
-- and every index on this table is paid for on every write.
CREATE INDEX cost_step_recorded_at_idx ON cost_step (recorded_at);
CREATE INDEX cost_step_unpriced_idx ON cost_step (recorded_at) WHERE NOT priced;
CREATE INDEX cost_step_tags_idx ON cost_step USING gin (tags jsonb_path_ops);
CREATE INDEX cost_step_type_activity_idx ON cost_step (workflow_type, activity_type, recorded_at);
