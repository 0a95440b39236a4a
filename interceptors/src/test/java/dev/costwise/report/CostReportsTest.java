package dev.costwise.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reports over seeded lines on several days, models, workflow types and tenants, against sums
 * computed by hand from the bundled catalog: gpt-4o-mini 1000 in + 100 out = 0.00021 USD, gpt-4o
 * 1000 in = 0.0025 USD, mystery-1 is not in the catalog.
 */
class CostReportsTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static Jdbi jdbi;
  private static CostStore store;
  private static CostReports reports;

  @BeforeAll
  static void seed() {
    jdbi = CostStore.jdbi(TestDatabase.fresh());
    store = new CostStore(jdbi);
    reports = new CostReports(jdbi);
    // October: Pipeline/WriteScript for acme, two attempts of gpt-4o = 0.005
    store.record(
        attempt(
            "run-a",
            "Pipeline",
            "WriteScript",
            "q1",
            "1",
            1,
            "acme",
            "2026-10-30T23:59:59Z",
            gpt4o()));
    store.record(
        attempt(
            "run-a",
            "Pipeline",
            "WriteScript",
            "q1",
            "1",
            2,
            "acme",
            "2026-10-30T23:59:59Z",
            gpt4o()));
    // 1 November: Pipeline/Summarize for globex, three mini calls = 0.00063 and one unpriced call
    store.record(
        attempt(
            "run-b",
            "Pipeline",
            "Summarize",
            "q1",
            "1",
            1,
            "globex",
            "2026-11-01T00:00:00Z",
            mini(),
            mini()));
    store.record(
        attempt(
            "run-b",
            "Pipeline",
            "Summarize",
            "q1",
            "2",
            1,
            "globex",
            "2026-11-01T12:00:00Z",
            mini(),
            mystery()));
    // 2 November: Digest for acme (gpt-4o + mini in one attempt = 0.00271) and untagged (gpt-4o =
    // 0.0025)
    store.record(
        attempt(
            "run-c",
            "Digest",
            "Summarize",
            "q2",
            "1",
            1,
            "acme",
            "2026-11-02T08:00:00Z",
            gpt4o(),
            mini()));
    store.record(
        attempt(
            "run-d", "Digest", "WriteScript", "q2", "1", 1, null, "2026-11-02T09:00:00Z", gpt4o()));
  }

  static AttemptCost attempt(
      String runId,
      String workflowType,
      String activityType,
      String queue,
      String activityId,
      int attempt,
      String tenant,
      String recordedAt,
      Usage... usages) {
    Instant at = Instant.parse(recordedAt);
    AttemptContext context =
        new AttemptContext(
            "default",
            "wf-" + runId,
            workflowType,
            runId,
            activityId,
            activityType,
            attempt,
            queue,
            at.minusSeconds(1));
    List<PricedUsage> lines =
        Arrays.stream(usages).map(u -> new PricedUsage(u, PRICER.priceLenient(u))).toList();
    return new AttemptCost(
        context,
        Outcome.COMPLETED,
        lines,
        tenant == null ? Map.of() : Map.of("tenant", tenant),
        at);
  }

  static Usage mini() {
    return Usage.of("openai", "gpt-4o-mini").inputTokens(1_000).outputTokens(100).build();
  }

  static Usage gpt4o() {
    return Usage.of("openai", "gpt-4o").inputTokens(1_000).build();
  }

  static Usage mystery() {
    return Usage.of("acme-ai", "mystery-1").inputTokens(10).build();
  }

  private static final LocalDate OCT_1 = LocalDate.parse("2026-10-01");
  private static final LocalDate DEC_1 = LocalDate.parse("2026-12-01");

  @Test
  void monthlyTotalsByModelMatchHandComputedSums() {
    List<PeriodTotal> rows = reports.totals(Period.MONTH, OCT_1, DEC_1, Dimension.MODEL);
    assertThat(rows)
        .extracting(PeriodTotal::periodStart, PeriodTotal::group)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(OCT_1, "gpt-4o"),
            org.assertj.core.groups.Tuple.tuple(LocalDate.parse("2026-11-01"), "gpt-4o"),
            org.assertj.core.groups.Tuple.tuple(LocalDate.parse("2026-11-01"), "gpt-4o-mini"),
            org.assertj.core.groups.Tuple.tuple(LocalDate.parse("2026-11-01"), "mystery-1"));
    assertThat(rows.get(0).costUsd()).isEqualByComparingTo("0.005");
    assertThat(rows.get(0).usageCount()).isEqualTo(2);
    assertThat(rows.get(1).costUsd()).isEqualByComparingTo("0.005");
    assertThat(rows.get(2).costUsd()).isEqualByComparingTo("0.00084"); // 4 x 0.00021
    assertThat(rows.get(2).usageCount()).isEqualTo(4);
    assertThat(rows.get(2).inputTokens()).isEqualTo(4_000);
    assertThat(rows.get(3).costUsd()).isEqualByComparingTo("0");
    assertThat(rows.get(3).unpricedUsageCount()).isEqualTo(1);
  }

  @Test
  void dailyTotalsByTenantSplitAtUtcMidnight() {
    List<PeriodTotal> rows =
        reports.totals(
            Period.DAY,
            LocalDate.parse("2026-10-30"),
            LocalDate.parse("2026-11-03"),
            Dimension.TENANT);
    assertThat(rows).hasSize(4);
    assertThat(rows.get(0))
        .satisfies(
            r -> {
              assertThat(r.periodStart()).isEqualTo("2026-10-30");
              assertThat(r.group()).isEqualTo("acme");
              assertThat(r.costUsd()).isEqualByComparingTo("0.005");
            });
    assertThat(rows.get(1))
        .satisfies(
            r -> {
              assertThat(r.periodStart()).isEqualTo("2026-11-01");
              assertThat(r.group()).isEqualTo("globex");
              assertThat(r.costUsd()).isEqualByComparingTo("0.00063");
              assertThat(r.usageCount()).isEqualTo(4);
              assertThat(r.unpricedUsageCount()).isEqualTo(1);
            });
    assertThat(rows.get(2))
        .satisfies(
            r -> {
              assertThat(r.group()).isEqualTo("acme");
              assertThat(r.costUsd()).isEqualByComparingTo("0.00271");
            });
    assertThat(rows.get(3))
        .satisfies(
            r -> {
              assertThat(r.group()).isEmpty();
              assertThat(r.costUsd()).isEqualByComparingTo("0.0025");
            });
  }

  @Test
  void everyDimensionGroupsTheSameTotal() {
    for (Dimension d : Dimension.values()) {
      BigDecimal sum =
          reports.totals(Period.MONTH, OCT_1, DEC_1, d).stream()
              .map(PeriodTotal::costUsd)
              .reduce(BigDecimal.ZERO, BigDecimal::add);
      assertThat(sum).as(d.label()).isEqualByComparingTo("0.01084");
    }
    assertThat(reports.totals(Period.MONTH, OCT_1, DEC_1, Dimension.TASK_QUEUE))
        .extracting(PeriodTotal::group)
        .containsExactly("q1", "q2", "q1");
  }

  @Test
  void topDriversRankGroupsWithTheirShare() {
    List<CostDriver> drivers = reports.topDrivers(OCT_1, DEC_1, Dimension.WORKFLOW_TYPE, 10);
    assertThat(drivers).extracting(CostDriver::group).containsExactly("Pipeline", "Digest");
    assertThat(drivers.get(0).costUsd()).isEqualByComparingTo("0.00563");
    assertThat(drivers.get(0).sharePercent()).isEqualByComparingTo("51.94"); // 0.00563 / 0.01084
    assertThat(drivers.get(1).costUsd()).isEqualByComparingTo("0.00521");
    assertThat(drivers.get(1).sharePercent()).isEqualByComparingTo("48.06");
    assertThat(reports.topDrivers(OCT_1, DEC_1, Dimension.ACTIVITY_TYPE, 1))
        .singleElement()
        .satisfies(d -> assertThat(d.group()).isEqualTo("WriteScript"));
  }

  @Test
  void unpricedUsageIsCountedPerModel() {
    assertThat(reports.unpriced(OCT_1, DEC_1))
        .containsExactly(new UnpricedUsage("acme-ai", "mystery-1", 1, 1));
  }

  @Test
  void rewritingAnAttemptMovesItsCostInTheRollupWithoutDoubleCounting() {
    store.record(
        attempt(
            "run-e",
            "Rewrite",
            "Draft",
            "q3",
            "1",
            1,
            "acme",
            "2027-01-10T10:00:00Z",
            gpt4o(),
            mini()));
    store.record(
        attempt(
            "run-e",
            "Rewrite",
            "Draft",
            "q3",
            "1",
            1,
            "acme",
            "2027-01-10T10:00:00Z",
            gpt4o(),
            mini()));
    // the same attempt (same start time) recorded again a day later, with another tenant and fewer
    // lines: its cost leaves the first day's and tenant's rollup rows for the new ones
    AttemptCost first =
        attempt("run-e", "Rewrite", "Draft", "q3", "1", 1, "acme", "2027-01-10T10:00:00Z", gpt4o());
    AttemptCost again =
        attempt(
            "run-e", "Rewrite", "Draft", "q3", "1", 1, "initech", "2027-01-11T10:00:00Z", mini());
    store.record(
        new AttemptCost(
            first.context(), again.outcome(), again.lines(), again.tags(), again.recordedAt()));
    List<PeriodTotal> rows =
        reports.totals(
            Period.DAY,
            LocalDate.parse("2027-01-10"),
            LocalDate.parse("2027-01-12"),
            Dimension.TENANT);
    assertThat(rows)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.periodStart()).isEqualTo("2027-01-11");
              assertThat(r.group()).isEqualTo("initech");
              assertThat(r.costUsd()).isEqualByComparingTo("0.00021");
              assertThat(r.usageCount()).isEqualTo(1);
            });
    assertRollupMatchesSteps();
  }

  @Test
  void concurrentWritersSharingRollupRowsNeitherDeadlockNorLoseCost() throws Exception {
    int threads = 8;
    int batches = 25;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      done.add(
          pool.submit(
              () -> {
                for (int b = 0; b < batches; b++) {
                  List<List<dev.costwise.store.StepRow>> batch = new java.util.ArrayList<>();
                  for (int a = 0; a < 4; a++) {
                    // alternate line order and tenants so that writers touch shared rollup rows in
                    // different orders
                    Usage[] lines =
                        (a + thread) % 2 == 0
                            ? new Usage[] {gpt4o(), mini()}
                            : new Usage[] {mini(), gpt4o()};
                    batch.add(
                        CostStore.rows(
                            attempt(
                                "conc-" + thread + "-" + b + "-" + a,
                                "Concurrent",
                                "Draft",
                                "q9",
                                "1",
                                1,
                                a % 2 == 0 ? "acme" : "globex",
                                "2027-02-01T12:00:00Z",
                                lines)));
                  }
                  java.util.Collections.reverse(batch.subList(0, (thread % 2) * 4));
                  store.writeBatch(batch);
                }
                return null;
              }));
    }
    for (java.util.concurrent.Future<?> f : done) {
      f.get(60, java.util.concurrent.TimeUnit.SECONDS);
    }
    pool.shutdown();
    List<PeriodTotal> month =
        reports.totals(
            Period.MONTH,
            LocalDate.parse("2027-02-01"),
            LocalDate.parse("2027-03-01"),
            Dimension.NONE);
    assertThat(month)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.costUsd())
                  .isEqualByComparingTo("2.168"); // 800 attempts x (0.0025 + 0.00021)
              assertThat(r.usageCount()).isEqualTo(1_600);
            });
    assertRollupMatchesSteps();
  }

  @Test
  void rollupEqualsAFullRecomputationFromTheSteps() {
    assertRollupMatchesSteps();
  }

  private static void assertRollupMatchesSteps() {
    String recompute =
        """
        SELECT (recorded_at AT TIME ZONE 'UTC')::date AS day, provider, COALESCE(priced_model, model) AS model,
               workflow_type, activity_type, task_queue, COALESCE(tags ->> 'tenant', '') AS tenant,
               COALESCE(SUM(cost_usd), 0) AS cost_usd, COUNT(*) AS usage_count,
               COUNT(*) FILTER (WHERE NOT priced) AS unpriced_usage_count, SUM(input_tokens) AS input_tokens,
               SUM(output_tokens) AS output_tokens
          FROM cost_step GROUP BY 1, 2, 3, 4, 5, 6, 7
        """;
    String rollup =
        """
        SELECT day, provider, model, workflow_type, activity_type, task_queue, tenant, cost_usd, usage_count,
               unpriced_usage_count, input_tokens, output_tokens
          FROM cost_rollup_daily WHERE usage_count != 0
        """;
    long differences =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT COUNT(*) FROM (("
                            + recompute
                            + " EXCEPT "
                            + rollup
                            + ") UNION ALL ("
                            + rollup
                            + " EXCEPT "
                            + recompute
                            + ")) d")
                    .mapTo(Long.class)
                    .one());
    assertThat(differences).as("rows differing between the rollup and cost_step").isZero();
  }

  @Test
  void stepsCsvHasAHeaderAndOneRecordPerLine() {
    StringWriter out = new StringWriter();
    long n =
        reports.stepsCsv(
            Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-02T00:00:00Z"), out);
    assertThat(n).isEqualTo(4);
    String[] lines = out.toString().split("\r\n");
    assertThat(lines).hasSize(5);
    assertThat(lines[0]).startsWith("recorded_at,run_id,");
    assertThat(lines[1].split(",", -1)).hasSize(CostReports.STEP_CSV_COLUMNS.size());
    assertThat(lines[1])
        .startsWith(
            "2026-11-01T00:00:00Z,run-b,wf-run-b,Pipeline,1,Summarize,1,0,COMPLETED,q1,globex,openai,gpt-4o-mini,gpt-4o-mini,1000,100,");
    assertThat(lines[1]).contains(",true,0.00021,");
  }

  @Test
  void namespaceAndTagGroupingsAreSummedFromTheStepLines() {
    assertThat(reports.totals(Period.MONTH, OCT_1, DEC_1, GroupBy.parse("namespace")))
        .extracting(PeriodTotal::group, CostReportsTest::cost)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("default", "0.005"),
            org.assertj.core.groups.Tuple.tuple("default", "0.00584"));
    assertThat(reports.topDrivers(OCT_1, DEC_1, GroupBy.parse("namespace"), 5))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.group()).isEqualTo("default");
              assertThat(d.sharePercent()).isEqualByComparingTo("100");
              assertThat(d.usageCount()).isEqualTo(9);
              assertThat(d.unpricedUsageCount()).isEqualTo(1);
            });
    // a tag grouping names untagged lines "(none)"
    assertThat(
            reports.totals(
                Period.DAY,
                LocalDate.parse("2026-11-02"),
                LocalDate.parse("2026-11-03"),
                GroupBy.parse("tag:tenant")))
        .extracting(PeriodTotal::group)
        .containsExactly("acme", ""); // whole days of tag:tenant read the rollup
    assertThat(
            reports.totals(
                Period.DAY,
                Instant.parse("2026-11-02T00:00:00Z"),
                Instant.parse("2026-11-02T12:00:00Z"),
                GroupBy.parse("tag:tenant")))
        .extracting(PeriodTotal::group, CostReportsTest::cost)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("acme", "0.00271"),
            org.assertj.core.groups.Tuple.tuple("(none)", "0.0025"));
  }

  @Test
  void aRangeThatCutsADayIsSummedFromTheStepsAndAgreesWithTheRollupOnWholeDays() {
    Instant from = Instant.parse("2026-11-01T00:00:00Z");
    Instant to = Instant.parse("2026-11-03T00:00:00Z");
    for (Dimension d : Dimension.values()) {
      List<PeriodTotal> rolled = reports.totals(Period.DAY, from, to, GroupBy.of(d));
      List<PeriodTotal> summed =
          reports.totals(Period.DAY, from, to.minusNanos(1000), GroupBy.of(d));
      assertThat(summed.stream().map(CostReportsTest::line).toList())
          .as(d.label())
          .isEqualTo(rolled.stream().map(CostReportsTest::line).toList());
    }
    assertThat(
            reports.totals(
                Period.DAY, Instant.parse("2026-11-01T06:00:00Z"), to, GroupBy.of(Dimension.MODEL)))
        .extracting(PeriodTotal::periodStart, PeriodTotal::group, CostReportsTest::cost)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                LocalDate.parse("2026-11-01"), "gpt-4o-mini", "0.00021"),
            org.assertj.core.groups.Tuple.tuple(LocalDate.parse("2026-11-01"), "mystery-1", "0"),
            org.assertj.core.groups.Tuple.tuple(LocalDate.parse("2026-11-02"), "gpt-4o", "0.005"),
            org.assertj.core.groups.Tuple.tuple(
                LocalDate.parse("2026-11-02"), "gpt-4o-mini", "0.00021"));
  }

  private static String cost(PeriodTotal t) {
    return t.costUsd().stripTrailingZeros().toPlainString();
  }

  private static String line(PeriodTotal t) {
    return String.join(
        "|",
        t.periodStart().toString(),
        t.group(),
        cost(t),
        Long.toString(t.usageCount()),
        Long.toString(t.unpricedUsageCount()),
        Long.toString(t.inputTokens()),
        Long.toString(t.outputTokens()),
        Long.toString(t.images()),
        t.videoSeconds().stripTrailingZeros().toPlainString(),
        Long.toString(t.characters()),
        t.audioSeconds().stripTrailingZeros().toPlainString());
  }

  @Test
  void anExecutionWithItsLinesAndTheLatestRunOfAWorkflowId() {
    ExecutionLines b = reports.executionLines("run-b").orElseThrow();
    assertThat(b.totals().costUsd()).isEqualByComparingTo("0.00063");
    assertThat(b.steps())
        .extracting(dev.costwise.store.StepRow::activityId, dev.costwise.store.StepRow::lineNo)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("1", 0),
            org.assertj.core.groups.Tuple.tuple("1", 1),
            org.assertj.core.groups.Tuple.tuple("2", 0),
            org.assertj.core.groups.Tuple.tuple("2", 1));
    assertThat(reports.latestExecutionLines("wf-run-c").orElseThrow().totals().runId())
        .isEqualTo("run-c");
    assertThat(reports.executionLines("no-such-run")).isEmpty();
    assertThat(reports.latestExecutionLines("no-such-workflow")).isEmpty();
    assertThat(reports.runCount("Digest")).isEqualTo(2);
  }

  @Test
  void theDashboardStacksDailySpendByModelAndListsTheCostliestRuns() {
    Dashboard d = reports.dashboard(LocalDate.parse("2026-11-02"), 3);
    assertThat(d.from()).isEqualTo("2026-10-31T00:00:00Z");
    assertThat(d.to()).isEqualTo("2026-11-03T00:00:00Z");
    assertThat(d.totalUsd()).isEqualByComparingTo("0.00584");
    assertThat(d.runCount()).isEqualTo(3);
    assertThat(d.models()).containsExactly("gpt-4o", "gpt-4o-mini", "mystery-1");
    assertThat(d.spendByDay())
        .extracting(Dashboard.DaySpend::day)
        .containsExactly(
            LocalDate.parse("2026-10-31"),
            LocalDate.parse("2026-11-01"),
            LocalDate.parse("2026-11-02"));
    assertThat(d.spendByDay().get(0).byModel()).isEmpty();
    assertThat(d.spendByDay().get(2).byModel().get("gpt-4o")).isEqualByComparingTo("0.005");
    assertThat(d.topRuns()).extracting(RunTotal::runId).containsExactly("run-c", "run-d", "run-b");
    assertThatThrownBy(() -> reports.dashboard(LocalDate.parse("2026-11-02"), 0))
        .hasMessageContaining("days must be 1-366");
  }

  @Test
  void csvQuotesFieldsThatNeedIt() {
    assertThat(Csv.escape("a,b")).isEqualTo("\"a,b\"");
    assertThat(Csv.escape("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    assertThat(Csv.escape("plain")).isEqualTo("plain");
  }

  @Test
  void csvNeutralisesCellsASpreadsheetWouldRunAsFormulas() {
    assertThat(Csv.escape("=HYPERLINK(\"http://x\",\"y\")"))
        .isEqualTo("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    assertThat(Csv.escape("+cmd")).isEqualTo("'+cmd");
    assertThat(Csv.escape("-2+3")).isEqualTo("'-2+3");
    assertThat(Csv.escape("@SUM(A1)")).isEqualTo("'@SUM(A1)");
    assertThat(Csv.escape("\tx")).isEqualTo("'\tx");
    assertThat(Csv.escape("\rx")).isEqualTo("\"'\rx\"");
    assertThat(Csv.escape("-1.5")).isEqualTo("-1.5");
    assertThat(Csv.escape("+7")).isEqualTo("+7");
    assertThat(Csv.escape("a=b")).isEqualTo("a=b");
    assertThat(Csv.escape("")).isEmpty();
  }

  @Test
  void anEmptyRangeOrUnknownGroupingIsRejectedClearly() {
    assertThatThrownBy(() -> reports.totals(Period.DAY, DEC_1, OCT_1, Dimension.MODEL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be before");
    assertThatThrownBy(() -> GroupBy.parse("colour"))
        .hasMessageContaining("Unknown grouping 'colour'")
        .hasMessageContaining("workflow-type");
    assertThat(GroupBy.parse("workflow-type").dimension()).contains(Dimension.WORKFLOW_TYPE);
  }
}
