package dev.costwise.report;

import dev.costwise.pricing.Money;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.usage.Tags;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Cost reports over the Costwise schema: one execution with its estimate and variance, and period
 * aggregates (daily or monthly totals by a dimension, top cost drivers, unpriced usage) read from
 * the daily rollup rather than the step lines. Dates are UTC days; {@code to} is exclusive.
 */
public final class CostReports {
  /** Columns of {@link #stepsCsv}, in order. */
  public static final List<String> STEP_CSV_COLUMNS =
      List.of(
          "recorded_at",
          "run_id",
          "workflow_id",
          "workflow_type",
          "activity_id",
          "activity_type",
          "attempt",
          "line_no",
          "outcome",
          "task_queue",
          "tenant",
          "provider",
          "model",
          "priced_model",
          "input_tokens",
          "output_tokens",
          "cache_read_tokens",
          "cache_write_tokens",
          "reasoning_tokens",
          "images",
          "video_seconds",
          "characters",
          "audio_seconds",
          "priced",
          "cost_usd",
          "unpriced_reason");

  private final Jdbi jdbi;

  /** Reports over {@code jdbi}, which needs the SQL Object plugin (see {@code CostStore.jdbi}). */
  public CostReports(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /**
   * One execution: actual cost per step and in total, and, when an estimate is linked to the run
   * (by run id, or by workflow id as the next run after the estimate), estimated and variance.
   */
  public Optional<ExecutionReport> execution(String runId) {
    return jdbi.withExtension(
        ReportDao.class, dao -> dao.execution(runId).map(e -> execution(dao, e)));
  }

  private static ExecutionReport execution(ReportDao dao, ExecutionTotals e) {
    Optional<ReportDao.EstimateHeader> estimate =
        dao.estimateForRun(e.runId())
            .or(() -> dao.estimateForNextRun(e.workflowId(), e.runId(), e.firstRecordedAt()));
    Map<String, StepComparison> steps = new LinkedHashMap<>();
    for (ReportDao.ActualStep a : dao.actualSteps(e.runId())) {
      steps.put(
          stepKey(a.activityType(), a.model()),
          new StepComparison(
              a.activityType(),
              a.provider(),
              a.model(),
              a.attempts(),
              a.costUsd(),
              a.unpricedUsageCount(),
              null,
              null,
              null,
              null,
              null));
    }
    BigDecimal expected = null;
    BigDecimal variance = null;
    BigDecimal variancePercent = null;
    if (estimate.isPresent()) {
      for (ReportDao.EstimateStep s : sumByStep(dao.estimateSteps(estimate.get().estimateId()))) {
        StepComparison actual = steps.get(stepKey(s.activityType(), s.model()));
        BigDecimal actualUsd = actual == null ? BigDecimal.ZERO : actual.actualUsd();
        steps.put(
            stepKey(s.activityType(), s.model()),
            new StepComparison(
                s.activityType(),
                actual == null ? s.provider() : actual.provider(),
                s.model(),
                actual == null ? 0 : actual.attempts(),
                actualUsd,
                actual == null ? 0 : actual.unpricedUsageCount(),
                s.source(),
                s.lowUsd(),
                s.expectedUsd(),
                s.highUsd(),
                s.expectedUsd() == null ? null : actualUsd.subtract(s.expectedUsd())));
      }
      expected = estimate.get().expectedUsd();
      variance = e.costUsd().subtract(expected);
      variancePercent =
          expected.signum() == 0
              ? null
              : variance
                  .multiply(BigDecimal.valueOf(100))
                  .divide(expected, 2, RoundingMode.HALF_EVEN);
    }
    return new ExecutionReport(
        e.runId(),
        e.workflowId(),
        e.workflowType(),
        e.tags(),
        e.costUsd(),
        e.usageCount(),
        e.unpricedUsageCount(),
        e.firstRecordedAt(),
        e.lastRecordedAt(),
        estimate.map(ReportDao.EstimateHeader::estimateId).orElse(null),
        estimate.map(ReportDao.EstimateHeader::lowUsd).orElse(null),
        expected,
        estimate.map(ReportDao.EstimateHeader::highUsd).orElse(null),
        variance,
        variancePercent,
        new ArrayList<>(steps.values()));
  }

  /** Plan lines for the same activity type and model (e.g. different prompt sizes) as one step. */
  private static List<ReportDao.EstimateStep> sumByStep(List<ReportDao.EstimateStep> steps) {
    Map<String, ReportDao.EstimateStep> summed = new LinkedHashMap<>();
    for (ReportDao.EstimateStep s : steps) {
      summed.merge(
          stepKey(s.activityType(), s.model()),
          s,
          (a, b) ->
              new ReportDao.EstimateStep(
                  a.activityType(),
                  a.provider(),
                  a.model(),
                  a.source().equals(b.source()) ? a.source() : "MIXED",
                  add(a.lowUsd(), b.lowUsd()),
                  add(a.expectedUsd(), b.expectedUsd()),
                  add(a.highUsd(), b.highUsd())));
    }
    return List.copyOf(summed.values());
  }

  private static BigDecimal add(BigDecimal a, BigDecimal b) {
    return a == null ? b : b == null ? a : a.add(b);
  }

  private static String stepKey(String activityType, String model) {
    return activityType + '\u0000' + model;
  }

  /**
   * Totals per period bucket (UTC day or calendar month) and group, over days {@code from}
   * (inclusive) to {@code to} (exclusive); buckets in date order, groups by cost, highest first.
   */
  public List<PeriodTotal> totals(Period period, LocalDate from, LocalDate to, Dimension groupBy) {
    checkRange(from, to);
    return jdbi.withExtension(
        ReportDao.class, dao -> dao.totals(period.unit(), groupBy.column(), from, to));
  }

  /** The {@code limit} groups that cost the most over the range, with their share of the total. */
  public List<CostDriver> topDrivers(LocalDate from, LocalDate to, Dimension groupBy, int limit) {
    checkRange(from, to);
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be 1 or more, was " + limit);
    }
    return jdbi.withExtension(
        ReportDao.class, dao -> dao.topDrivers(groupBy.column(), from, to, limit));
  }

  /** Models with usage that could not be priced over the range, most unpriced records first. */
  public List<UnpricedUsage> unpriced(LocalDate from, LocalDate to) {
    checkRange(from, to);
    return jdbi.withExtension(ReportDao.class, dao -> dao.unpriced(from, to));
  }

  /**
   * Writes every step line recorded in {@code [from, to)} as CSV with a header row (columns in
   * {@link #STEP_CSV_COLUMNS}), streaming, in recording order. Returns the number of lines written.
   */
  public long stepsCsv(Instant from, Instant to, Writer out) {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from (" + from + ") must be before to (" + to + ")");
    }
    Csv.writeRow(out, STEP_CSV_COLUMNS);
    return jdbi.inTransaction(
        h -> {
          long[] n = {0};
          h.createQuery(
                  """
                  SELECT recorded_at, run_id, workflow_id, workflow_type, activity_id, activity_type, attempt,
                         line_no, outcome, task_queue, COALESCE(tags ->> :tenantTag, '') AS tenant, provider,
                         model, priced_model, input_tokens, output_tokens, cache_read_tokens,
                         cache_write_tokens, reasoning_tokens, images, video_seconds, characters,
                         audio_seconds, priced, cost_usd, unpriced_reason
                    FROM cost_step
                   WHERE recorded_at >= :from AND recorded_at < :to
                   ORDER BY recorded_at, run_id, activity_id, attempt, line_no
                  """)
              .bind("tenantTag", Tags.TENANT)
              .bind("from", from)
              .bind("to", to)
              .setFetchSize(1_000)
              .map(
                  (rs, ctx) -> {
                    List<String> fields = new ArrayList<>(STEP_CSV_COLUMNS.size());
                    fields.add(
                        rs.getObject(1, java.time.OffsetDateTime.class).toInstant().toString());
                    for (int c = 2; c <= STEP_CSV_COLUMNS.size(); c++) {
                      Object v = rs.getObject(c);
                      fields.add(
                          v == null
                              ? ""
                              : v instanceof BigDecimal d ? Money.plain(d) : v.toString());
                    }
                    return fields;
                  })
              .useStream(
                  rows ->
                      rows.forEach(
                          f -> {
                            Csv.writeRow(out, f);
                            n[0]++;
                          }));
          return n[0];
        });
  }

  private static void checkRange(LocalDate from, LocalDate to) {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException(
          "from (" + from + ") must be before to (" + to + "), which is exclusive");
    }
  }
}
