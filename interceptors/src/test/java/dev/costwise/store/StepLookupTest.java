package dev.costwise.store;

import static dev.costwise.store.Attempts.gpt4o;
import static dev.costwise.store.Attempts.mini;
import static dev.costwise.store.Attempts.priced;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A batch looks up what is already stored for its attempts under each attempt's start time, which
 * every line of an attempt shares and by whose month {@code cost_step} is partitioned: each attempt
 * is found in its own month's partition, not looked for in every month kept, and the same key under
 * another start time is another execution, whose lines and cost stay.
 */
class StepLookupTest {
  private static final Instant SEPTEMBER = Instant.parse("2026-09-14T08:00:00.123456Z");
  private static final Instant OCTOBER = Instant.parse("2026-10-14T08:00:00.5Z");
  private static final Instant NOVEMBER = Instant.parse("2026-11-20T10:15:30.000001Z");
  private static CostStore store;

  @BeforeAll
  static void database() {
    store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
  }

  private static AttemptCost startedAt(
      Instant started, String runId, String activityId, Outcome outcome, Usage... usages) {
    return new AttemptCost(
        Attempts.context(runId, activityId, 1, started),
        outcome,
        Arrays.stream(usages).map(u -> priced(u)).toList(),
        Map.of("tenant", "acme"),
        started.plusSeconds(2));
  }

  @Test
  void eachAttemptIsLookedUpInItsOwnMonthOnly() throws Exception {
    store.writeBatch(
        List.of(
            CostStore.rows(startedAt(SEPTEMBER, "run-sep", "1", Outcome.COMPLETED, mini())),
            CostStore.rows(startedAt(OCTOBER, "run-oct", "1", Outcome.COMPLETED, mini())),
            CostStore.rows(startedAt(NOVEMBER, "run-nov", "1", Outcome.COMPLETED, mini())),
            CostStore.rows(startedAt(NOVEMBER, "run-nov", "2", Outcome.COMPLETED, gpt4o()))));
    String sql =
        CostDao.class
            .getMethod(
                "linesOfStartedAttempts",
                String[].class,
                String[].class,
                int[].class,
                String[].class)
            .getAnnotation(SqlQuery.class)
            .value();
    String plan =
        store
            .jdbi()
            .inTransaction(
                h -> {
                  // a few test lines are cheaper to read whole than to look up; at scale (two
                  // million lines in 24 months) the planner looks each attempt up through the
                  // primary key in a nested loop, which is the plan this checks
                  for (String kind : List.of("hashjoin", "mergejoin", "seqscan", "material")) {
                    h.execute("SET LOCAL enable_" + kind + " = off");
                  }
                  return h.createQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                      .bind("runIds", new String[] {"run-nov", "run-nov"})
                      .bind("activityIds", new String[] {"1", "2"})
                      .bind("attempts", new int[] {1, 1})
                      .bind("startedAt", new String[] {NOVEMBER.toString(), NOVEMBER.toString()})
                      .mapTo(String.class)
                      .one();
                });
    Set<String> partitions = new TreeSet<>();
    Set<String> executed = new TreeSet<>();
    visit(new ObjectMapper().readTree(plan).get(0).get("Plan"), partitions, executed);
    assertThat(partitions)
        .as("partitions in the plan")
        .contains("cost_step_y2026m09", "cost_step_y2026m10", "cost_step_y2026m11");
    assertThat(executed).as("partitions read, in %s", plan).containsExactly("cost_step_y2026m11");
    List<CostDao.StoredLine> found =
        store
            .jdbi()
            .withExtension(
                CostDao.class,
                dao ->
                    dao.linesOfStartedAttempts(
                        new String[] {"run-nov", "run-sep"},
                        new String[] {"2", "1"},
                        new int[] {1, 1},
                        new String[] {NOVEMBER.toString(), SEPTEMBER.toString()}));
    // each line comes with the position of the attempt it was looked up as
    assertThat(found)
        .extracting(
            CostDao.StoredLine::attemptIndex,
            l -> l.line().runId(),
            l -> l.line().activityId(),
            l -> l.line().startedAt())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, "run-nov", "2", NOVEMBER),
            org.assertj.core.groups.Tuple.tuple(2, "run-sep", "1", SEPTEMBER));
  }

  /** The relations a plan scans, and those it read at least once. */
  private static void visit(JsonNode node, Set<String> partitions, Set<String> executed) {
    if (node.has("Relation Name")) {
      partitions.add(node.get("Relation Name").asText());
      if (node.path("Actual Loops").asLong() > 0) {
        executed.add(node.get("Relation Name").asText());
      }
    }
    for (JsonNode child : node.path("Plans")) {
      visit(child, partitions, executed);
    }
  }

  @Test
  void theSameKeyUnderAnotherStartTimeIsAnotherExecutionAndRewritesStayExact() {
    // October: two lines; November, the same run, activity id and attempt: one line
    store.record(startedAt(OCTOBER, "run-reused", "7", Outcome.COMPLETED, mini(), gpt4o()));
    store.record(startedAt(NOVEMBER, "run-reused", "7", Outcome.COMPLETED, gpt4o()));
    assertThat(store.steps("run-reused")).hasSize(3);
    assertTotalsAreTheLines("run-reused", "0.00521");

    // each written again as it was: nothing doubles
    store.writeBatch(
        List.of(
            CostStore.rows(
                startedAt(OCTOBER, "run-reused", "7", Outcome.COMPLETED, mini(), gpt4o())),
            CostStore.rows(startedAt(NOVEMBER, "run-reused", "7", Outcome.COMPLETED, gpt4o()))));
    assertThat(store.steps("run-reused")).hasSize(3);
    assertTotalsAreTheLines("run-reused", "0.00521");

    // the October one rewritten with fewer lines, in its own (older) partition: its extra line
    // and that line's cost go, the November one stays
    store.record(startedAt(OCTOBER, "run-reused", "7", Outcome.FAILED, mini()));
    assertThat(store.steps("run-reused"))
        .extracting(StepRow::startedAt, StepRow::outcome)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(OCTOBER, "FAILED"),
            org.assertj.core.groups.Tuple.tuple(NOVEMBER, "COMPLETED"));
    assertTotalsAreTheLines("run-reused", "0.00271");
  }

  /**
   * Two executions of a reused activity id (attempt 1 both times) can reach the writer in one batch
   * when it writes behind: both are kept, and a batch or a recovery that gives them again adds
   * nothing. Start times with nanoseconds, which PostgreSQL keeps to the microsecond, are found
   * again all the same (a rewrite replaces, a recovery sees them present).
   */
  @Test
  void twoExecutionsOfAReusedKeyInOneBatchAreBothKeptAndWrittenAgainAddNothing() {
    Instant first = NOVEMBER.plusNanos(123_456_789);
    Instant second = NOVEMBER.plusSeconds(2).plusNanos(999_999_999);
    List<List<StepRow>> both =
        List.of(
            CostStore.rows(startedAt(first, "run-batch", "call", Outcome.COMPLETED, mini())),
            CostStore.rows(startedAt(second, "run-batch", "call", Outcome.COMPLETED, gpt4o())));
    store.writeBatch(both);
    assertThat(store.steps("run-batch"))
        .extracting(StepRow::model)
        .containsExactlyInAnyOrder("gpt-4o-mini", "gpt-4o");
    assertTotalsAreTheLines("run-batch", "0.00271");

    store.writeBatch(both);
    assertThat(store.writeIfAbsent(both)).as("recovered again: both already stored").isZero();
    assertThat(store.steps("run-batch")).hasSize(2);
    assertTotalsAreTheLines("run-batch", "0.00271");

    // the second rewritten as failed with another line: replaced in place, the first untouched
    store.writeBatch(
        List.of(
            CostStore.rows(
                startedAt(second, "run-batch", "call", Outcome.FAILED, gpt4o(), mini()))));
    assertThat(store.steps("run-batch")).hasSize(3);
    assertTotalsAreTheLines("run-batch", "0.00292");
  }

  private static void assertTotalsAreTheLines(String runId, String expectedUsd) {
    BigDecimal lines =
        store.steps(runId).stream()
            .map(StepRow::costUsd)
            .filter(java.util.Objects::nonNull)
            .reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(lines).isEqualByComparingTo(expectedUsd);
    assertThat(store.execution(runId).orElseThrow().costUsd())
        .as("the run's total against its lines")
        .isEqualByComparingTo(lines);
  }
}
