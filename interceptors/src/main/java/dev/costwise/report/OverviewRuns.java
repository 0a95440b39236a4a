package dev.costwise.report;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The overview's run count and its list of the most expensive runs first recorded in a range of UTC
 * days, narrowed by a {@link RunFilter}, without reading every run of the range.
 *
 * <p>The count is summed from the runs rollup ({@code cost_runs_daily_shard}, one row per day and
 * filter key, kept by the store in the write's transaction).
 *
 * <p>The list walks {@code cost_run_rank}'s index from the most expensive run of all, keeping the
 * runs of the range and filter, and stops as soon as it has {@code limit} of them: about {@code
 * limit * all / n} entries when {@code n} of {@code all} runs match and cost is not tied to the
 * filter, a few thousand at most for the filters of a million-run month. The walk is bounded by
 * twice the matching runs (and {@link #MAX_SCAN}); when it ends without enough runs (fewer than
 * {@code limit} match, or the matching runs are the cheap ones), the list is read from every
 * matching run instead, through the index of the filtered column, so the list is exact either way
 * and costs at most about three times reading the matching runs.
 *
 * <p>A per-day table of top candidates would spare the rank row's update on each write, but a run
 * whose cost falls (a reprice, a rewrite) would have to be replaced by the next one from the runs
 * of its key, and every writer of a key would queue for that key's row; the rank row is touched
 * only by the writer already holding its run's execution row. An index on {@code
 * cost_execution.cost_usd} instead would make every update of a run's totals insert into all of
 * {@code cost_execution}'s indexes, where today they are heap-only updates.
 */
final class OverviewRuns {
  /** The most rank entries one walk reads before the list is read from the range instead. */
  static final int MAX_SCAN = 100_000;

  /** The fewest rank entries a walk reads (a walk of a few entries costs as much). */
  static final int MIN_SCAN = 1_000;

  private final ReportDao dao;
  private final int minScan;
  private final int maxScan;

  OverviewRuns(ReportDao dao) {
    this(dao, MIN_SCAN, MAX_SCAN);
  }

  /** With other bounds on the walk, for tests that make it fall back. */
  OverviewRuns(ReportDao dao, int minScan, int maxScan) {
    this.dao = dao;
    this.minScan = minScan;
    this.maxScan = maxScan;
  }

  /** Runs first recorded on days [first, last], narrowed by {@code filter}. */
  long count(LocalDate first, LocalDate last, RunFilter filter) {
    return dao.rolledRunCount(
        filterSql(filter, "tenant"),
        first,
        last.plusDays(1),
        filter.workflowType(),
        filter.taskQueue(),
        filter.tenant());
  }

  /**
   * The {@code limit} most expensive runs first recorded on days [first, last] matching {@code
   * filter}, most expensive first (then latest first recorded, then run id), given {@code count} of
   * them.
   */
  List<RunTotal> top(LocalDate first, LocalDate last, RunFilter filter, long count, int limit) {
    if (count == 0) {
      return List.of();
    }
    Instant from = first.atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant to = last.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    if (count >= limit) {
      int scan = (int) Math.min(maxScan, Math.max(minScan, 2 * count));
      List<RunTotal> found =
          dao.rankedTopRuns(
              filterSql(filter, "tenant"),
              from,
              to,
              filter.workflowType(),
              filter.taskQueue(),
              filter.tenant(),
              scan,
              limit);
      if (found.size() == limit) {
        return found;
      }
    }
    return dao.scannedTopRuns(
        filterSql(filter, "tags ->> 'tenant'"),
        from,
        to,
        filter.workflowType(),
        filter.taskQueue(),
        filter.tenant(),
        limit);
  }

  /**
   * The filter's conditions as SQL, one fixed fragment per set field (values stay bound), so that
   * each query is planned for the columns it filters on; {@code tenantColumn} is how the table
   * holds the tenant.
   */
  static String filterSql(RunFilter filter, String tenantColumn) {
    StringBuilder sql = new StringBuilder();
    if (filter.workflowType() != null) {
      sql.append(" AND workflow_type = :workflowType");
    }
    if (filter.taskQueue() != null) {
      sql.append(" AND task_queue = :taskQueue");
    }
    if (filter.tenant() != null) {
      sql.append(" AND ").append(tenantColumn).append(" = :tenant");
    }
    return sql.toString();
  }
}
