package dev.costwise.report;

import dev.costwise.pricing.Money;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.usage.Tags;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Jdbi;

/**
 * Cost reports over the Costwise schema, the one place report SQL lives: one execution with its
 * estimate and variance or with its lines, period aggregates (daily or monthly totals by a {@link
 * GroupBy}, top cost drivers, unpriced usage) read from the daily rollup where it can, the steps
 * CSV, and the dashboard's data. The CLI and the HTTP API only parse input and render these. Dates
 * are UTC days; {@code to} is exclusive.
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
          "unpriced_reason",
          "started_at",
          "namespace",
          "image_size",
          "image_quality",
          "video_with_audio",
          "tags");

  /** How many models the dashboard names before summing the rest as {@code other}. */
  public static final int DASHBOARD_MODELS = 6;

  /** How many of the most expensive runs the dashboard lists. */
  public static final int DASHBOARD_RUNS = 10;

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

  /**
   * Everything the run page shows about one run ({@link RunDetail}), if it recorded cost. Reads
   * only per-run indexed queries: its lines by key, its estimate, its alerts, its descendants.
   */
  public Optional<RunDetail> runDetail(String runId) {
    return jdbi.inTransaction(
        h -> {
          ReportDao dao = h.attach(ReportDao.class);
          return dao.execution(runId).map(e -> RunDetails.build(dao, e, execution(dao, e)));
        });
  }

  /** The newest run of {@code workflowId} that recorded cost. */
  public Optional<String> latestRunId(String workflowId) {
    return jdbi.withExtension(
        ReportDao.class, dao -> dao.latestExecution(workflowId).map(ExecutionTotals::runId));
  }

  /**
   * The final totals of those of {@code runIds} that recorded cost and match {@code filter}, by run
   * id (at most 1,000 ids are asked for at once).
   */
  public Map<String, RunTotal> runTotals(java.util.Collection<String> runIds, RunFilter filter) {
    if (runIds.isEmpty()) {
      return Map.of();
    }
    if (runIds.size() > 1_000) {
      throw new IllegalArgumentException("at most 1000 run ids at once, was " + runIds.size());
    }
    Map<String, RunTotal> out = new LinkedHashMap<>();
    jdbi.withExtension(
            ReportDao.class,
            dao ->
                dao.runTotals(
                    runIds.toArray(new String[0]),
                    filter.workflowType(),
                    filter.taskQueue(),
                    filter.tenant()))
        .forEach(r -> out.put(r.runId(), r));
    return out;
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
    return totals(period, from, to, GroupBy.of(groupBy));
  }

  /**
   * Totals per period bucket and group over days {@code from} (inclusive) to {@code to}
   * (exclusive), read from the daily rollup when it keeps the grouping, else summed from the step
   * lines ({@code namespace}, tags other than {@code tenant}).
   */
  public List<PeriodTotal> totals(Period period, LocalDate from, LocalDate to, GroupBy groupBy) {
    checkRange(from, to);
    return totals(period, midnight(from), midnight(to), groupBy);
  }

  /**
   * Totals per period bucket and group over instants [from, to). Read from the daily rollup when
   * both ends are UTC midnights and the rollup keeps the grouping, which never scans the step
   * lines; other groupings and ranges that cut a day sum the step lines.
   */
  public List<PeriodTotal> totals(Period period, Instant from, Instant to, GroupBy groupBy) {
    checkRange(from, to);
    Optional<Dimension> rolled = groupBy.rollup();
    if (rolled.isPresent() && isMidnight(from) && isMidnight(to)) {
      return jdbi.withExtension(
          ReportDao.class,
          dao -> dao.totals(period.unit(), rolled.get().rollupColumn(), day(from), day(to)));
    }
    return jdbi.withExtension(
        ReportDao.class, dao -> dao.stepTotals(period.unit(), groupBy.stepSql(), from, to));
  }

  /** The {@code limit} groups that cost the most over the range, with their share of the total. */
  public List<CostDriver> topDrivers(LocalDate from, LocalDate to, Dimension groupBy, int limit) {
    return topDrivers(from, to, GroupBy.of(groupBy), limit);
  }

  /**
   * The {@code limit} groups that cost the most over days [from, to), with their share of the
   * total; from the rollup when it keeps the grouping, else from the step lines.
   */
  public List<CostDriver> topDrivers(LocalDate from, LocalDate to, GroupBy groupBy, int limit) {
    checkRange(from, to);
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be 1 or more, was " + limit);
    }
    Optional<Dimension> rolled = groupBy.rollup();
    if (rolled.isPresent()) {
      return jdbi.withExtension(
          ReportDao.class, dao -> dao.topDrivers(rolled.get().rollupColumn(), from, to, limit));
    }
    return jdbi.withExtension(
        ReportDao.class,
        dao -> dao.stepTopDrivers(groupBy.stepSql(), midnight(from), midnight(to), limit));
  }

  /** Models with usage that could not be priced over the range, most unpriced records first. */
  public List<UnpricedUsage> unpriced(LocalDate from, LocalDate to) {
    checkRange(from, to);
    return jdbi.withExtension(ReportDao.class, dao -> dao.unpriced(from, to));
  }

  /**
   * Writes every step line recorded in {@code [from, to)} as CSV with a header row (columns in
   * {@link #STEP_CSV_COLUMNS}), streaming, in recording order. Returns the number of lines written.
   * This is the one steps CSV: {@code costwise report steps} and {@code /api/steps.csv} both write
   * it.
   */
  public long stepsCsv(Instant from, Instant to, Writer out) {
    checkRange(from, to);
    return writeStepsCsv(
        "recorded_at >= :from AND recorded_at < :to",
        "recorded_at, run_id, activity_id, attempt, line_no",
        Map.of("from", from, "to", to),
        out);
  }

  /**
   * Writes every step line of one run as CSV, the same columns as {@link #stepsCsv}, in attempt
   * order (the run page's CSV link). Reads the run's lines by key. Returns the number of lines.
   */
  public long runStepsCsv(String runId, Writer out) {
    return writeStepsCsv(
        "run_id = :runId",
        "started_at, activity_id, attempt, line_no",
        Map.of("runId", runId),
        out);
  }

  /** {@code where} and {@code order} are fixed SQL from the two callers above, never user text. */
  private long writeStepsCsv(String where, String order, Map<String, Object> binds, Writer out) {
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
                         audio_seconds, priced, cost_usd, unpriced_reason, started_at, namespace,
                         image_size, image_quality, video_with_audio, CAST(tags AS text) AS tags
                    FROM cost_step
                   WHERE <where>
                   ORDER BY <order>
                  """)
              .define("where", where)
              .define("order", order)
              .bind("tenantTag", Tags.TENANT)
              .bindMap(binds)
              .setFetchSize(1_000)
              .map(
                  (rs, ctx) -> {
                    List<String> fields = new ArrayList<>(STEP_CSV_COLUMNS.size());
                    for (int c = 1; c <= STEP_CSV_COLUMNS.size(); c++) {
                      Object v =
                          STEP_CSV_COLUMNS.get(c - 1).endsWith("_at")
                              ? instant(rs.getObject(c, OffsetDateTime.class))
                              : rs.getObject(c);
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

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  /** One run's totals with every line recorded for it, if anything was recorded. */
  public Optional<ExecutionLines> executionLines(String runId) {
    return jdbi.withExtension(
        ReportDao.class,
        dao -> dao.execution(runId).map(t -> new ExecutionLines(t, dao.steps(t.runId()))));
  }

  /** The newest run of {@code workflowId} with its lines, if any run of it has recorded cost. */
  public Optional<ExecutionLines> latestExecutionLines(String workflowId) {
    return jdbi.withExtension(
        ReportDao.class,
        dao ->
            dao.latestExecution(workflowId).map(t -> new ExecutionLines(t, dao.steps(t.runId()))));
  }

  /** How many runs of {@code workflowType} have recorded cost. */
  public long runCount(String workflowType) {
    return jdbi.withExtension(ReportDao.class, dao -> dao.runCount(workflowType));
  }

  /** The {@code limit} most expensive runs first recorded in [from, to). */
  public List<RunTotal> topRuns(Instant from, Instant to, int limit) {
    checkRange(from, to);
    return jdbi.withExtension(ReportDao.class, dao -> dao.topRuns(from, to, limit));
  }

  /**
   * What the dashboard draws over the {@code days} UTC days ending with {@code today}: spend per
   * day stacked by model (the {@value #DASHBOARD_MODELS} top models by spend, the rest as {@code
   * other}), the run count and the {@value #DASHBOARD_RUNS} most expensive runs.
   */
  public Dashboard dashboard(LocalDate today, int days) {
    if (days < 1 || days > 366) {
      throw new IllegalArgumentException("days must be 1-366, was " + days);
    }
    return dashboard(today.minusDays(days - 1L), today, RunFilter.NONE);
  }

  /**
   * What the dashboard draws over UTC days {@code first} to {@code last} (both inclusive, at most
   * 366 days), narrowed by {@code filter}: spend per day stacked by model from the daily rollup,
   * the run count from the runs rollup and the most expensive runs ({@link OverviewRuns}).
   */
  public Dashboard dashboard(LocalDate first, LocalDate last, RunFilter filter) {
    long days = java.time.temporal.ChronoUnit.DAYS.between(first, last) + 1;
    if (days < 1 || days > 366) {
      throw new IllegalArgumentException(
          "the range must cover 1-366 days, was " + first + " to " + last);
    }
    Instant to = midnight(last.plusDays(1));
    Instant from = midnight(first);
    return jdbi.withExtension(
        ReportDao.class,
        dao -> {
          List<PeriodTotal> buckets =
              dao.filteredSpendByModel(
                  OverviewRuns.filterSql(filter, "tenant"),
                  first,
                  last.plusDays(1),
                  filter.workflowType(),
                  filter.taskQueue(),
                  filter.tenant());
          Map<String, BigDecimal> byModel = new TreeMap<>();
          BigDecimal total = BigDecimal.ZERO;
          for (PeriodTotal b : buckets) {
            byModel.merge(b.group(), b.costUsd(), BigDecimal::add);
            total = total.add(b.costUsd());
          }
          List<String> top =
              byModel.entrySet().stream()
                  .sorted(Map.Entry.<String, BigDecimal>comparingByValue().reversed())
                  .limit(DASHBOARD_MODELS)
                  .map(Map.Entry::getKey)
                  .toList();
          List<String> models = new ArrayList<>(top);
          if (byModel.size() > top.size()) {
            models.add("other");
          }
          Map<LocalDate, Map<String, BigDecimal>> perDay = new LinkedHashMap<>();
          for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
            perDay.put(d, new LinkedHashMap<>());
          }
          for (PeriodTotal b : buckets) {
            String model = top.contains(b.group()) ? b.group() : "other";
            perDay
                .computeIfAbsent(b.periodStart(), d -> new LinkedHashMap<>())
                .merge(model, b.costUsd(), BigDecimal::add);
          }
          List<Dashboard.DaySpend> series = new ArrayList<>();
          perDay.forEach((day, costs) -> series.add(new Dashboard.DaySpend(day, costs)));
          OverviewRuns runs = new OverviewRuns(dao);
          long runCount = runs.count(first, last, filter);
          return new Dashboard(
              from,
              to,
              total,
              runCount,
              models,
              series,
              runs.top(first, last, filter, runCount, DASHBOARD_RUNS));
        });
  }

  /**
   * Models whose usage could not be priced in [from, to), narrowed by {@code filter}: how many
   * records, in how many runs, first and last seen. Reads the unpriced lines only.
   */
  public List<UnpricedModel> unpricedModels(Instant from, Instant to, RunFilter filter) {
    checkRange(from, to);
    return jdbi.withExtension(
        ReportDao.class,
        dao ->
            dao.unpricedModels(
                from, to, filter.workflowType(), filter.taskQueue(), filter.tenant()));
  }

  /**
   * The workflow types, task queues and tenants that recorded cost on days [first, last], for the
   * dashboard's filters (at most 200 of each), from the daily rollup.
   */
  public Map<Dimension, List<String>> filterValues(LocalDate first, LocalDate last) {
    Map<Dimension, List<String>> out = new LinkedHashMap<>();
    jdbi.useExtension(
        ReportDao.class,
        dao -> {
          for (Dimension d :
              List.of(Dimension.WORKFLOW_TYPE, Dimension.TASK_QUEUE, Dimension.TENANT)) {
            out.put(d, dao.filterValues(d.rollupColumn(), first, last.plusDays(1)));
          }
        });
    return out;
  }

  private static Instant midnight(LocalDate day) {
    return day.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  private static boolean isMidnight(Instant t) {
    return t.atZone(ZoneOffset.UTC).toLocalTime().equals(LocalTime.MIDNIGHT);
  }

  private static LocalDate day(Instant t) {
    return t.atZone(ZoneOffset.UTC).toLocalDate();
  }

  private static void checkRange(Instant from, Instant to) {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from (" + from + ") must be before to (" + to + ")");
    }
  }

  private static void checkRange(LocalDate from, LocalDate to) {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException(
          "from (" + from + ") must be before to (" + to + "), which is exclusive");
    }
  }
}
