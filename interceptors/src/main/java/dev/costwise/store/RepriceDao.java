package dev.costwise.store;

import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** SQL for repricing stored lines: attempts of a period, page by page, and the correction log. */
@RegisterConstructorMapper(RepriceDao.AttemptRef.class)
interface RepriceDao {

  /** One attempt's key, with the instant it started (the page position). */
  record AttemptRef(String runId, String activityId, int attempt, java.time.Instant startedAt) {}

  /**
   * Up to {@code limit} attempts that started in {@code [from, to)}, after the given position, in
   * start order.
   */
  @SqlQuery(
      """
      SELECT DISTINCT started_at, run_id, activity_id, attempt FROM cost_step
       WHERE started_at >= CAST(:from AS timestamptz) AND started_at < CAST(:to AS timestamptz)
         AND (started_at, run_id, activity_id, attempt)
             > (CAST(:afterStarted AS timestamptz), :afterRun, :afterActivity, :afterAttempt)
       ORDER BY started_at, run_id, activity_id, attempt
       LIMIT :limit
      """)
  List<AttemptRef> attempts(
      @Bind("from") String from,
      @Bind("to") String to,
      @Bind("afterStarted") String afterStarted,
      @Bind("afterRun") String afterRun,
      @Bind("afterActivity") String afterActivity,
      @Bind("afterAttempt") int afterAttempt,
      @Bind("limit") int limit);

  /**
   * Locks the execution rows of {@code runIds} for the rest of the transaction, in run-id order
   * (the order every writer takes them in, so a reprice and a writer never deadlock).
   */
  @SqlQuery(
      """
      SELECT run_id FROM cost_execution WHERE run_id = ANY(CAST(:runIds AS text[]))
       ORDER BY run_id FOR UPDATE
      """)
  List<String> lockExecutions(@Bind("runIds") String[] runIds);

  /** Logs corrections: each line's old and new figures and the catalog each came from. */
  @SqlBatch(
      """
      INSERT INTO cost_correction (run_id, activity_id, attempt, line_no, started_at, model,
                                   old_priced, old_cost_usd, old_catalog_source, old_catalog_as_of,
                                   old_catalog_hash, old_price_entry, new_priced, new_cost_usd,
                                   new_catalog_source, new_catalog_as_of, new_catalog_hash, new_price_entry)
      VALUES (:o.runId, :o.activityId, :o.attempt, :o.lineNo, :o.startedAt, :o.model,
              :o.priced, :o.costUsd, :ow.catalogSource, :ow.catalogAsOf, :ow.catalogHash, :ow.priceEntry,
              :n.priced, :n.costUsd, :nw.catalogSource, :nw.catalogAsOf, :nw.catalogHash, :nw.priceEntry)
      """)
  void logCorrections(
      @BindMethods("o") List<StepRow> old,
      @BindMethods("ow") List<PricedWith> oldWith,
      @BindMethods("n") List<StepRow> repriced,
      @BindMethods("nw") List<PricedWith> newWith);
}
