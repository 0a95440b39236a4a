package dev.costwise.bench;

/**
 * What migration V15 does to rows already there: fill the overview's runs rollup and rank rows from
 * {@code cost_execution}. The benchmarks seed executions in bulk, past the writers, so they run
 * these after seeding.
 */
final class RunRollupBackfill {
  static final String RUNS_DAILY =
      """
      INSERT INTO cost_runs_daily_shard (day, workflow_type, task_queue, tenant, shard, run_count)
      SELECT (first_recorded_at AT TIME ZONE 'UTC')::date, workflow_type, task_queue,
             COALESCE(tags ->> 'tenant', ''), 0, COUNT(*)
        FROM cost_execution GROUP BY 1, 2, 3, 4
      """;

  static final String RUN_RANK =
      """
      INSERT INTO cost_run_rank (run_id, first_recorded_at, workflow_type, task_queue, tenant, cost_usd)
      SELECT run_id, first_recorded_at, workflow_type, task_queue, COALESCE(tags ->> 'tenant', ''),
             cost_usd
        FROM cost_execution
      """;

  private RunRollupBackfill() {}
}
