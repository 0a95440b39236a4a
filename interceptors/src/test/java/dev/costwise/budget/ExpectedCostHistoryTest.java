package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.store.CostStore;
import dev.costwise.store.StepPartitions;
import dev.costwise.testing.Eventually;
import dev.costwise.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An activity type's expected cost from its history, on a real PostgreSQL: read from the type's
 * most recent lines, and read by one settlement at a time once it is due again.
 */
class ExpectedCostHistoryTest {
  private static Jdbi jdbi;

  @BeforeAll
  static void database() {
    jdbi = CostStore.jdbi(TestDatabase.fresh());
  }

  /**
   * Stores {@code activities} one-line activities of {@code activityType} in runs of {@code
   * workflowType}, each costing {@code usd}, recorded one second apart, the last at {@code last}.
   */
  private static void recorded(
      Handle h,
      String workflowType,
      String activityType,
      int activities,
      String usd,
      Instant last) {
    h.createUpdate(
            """
            INSERT INTO cost_step (run_id, activity_id, attempt, line_no, namespace, workflow_id,
                                   workflow_type, activity_type, task_queue, outcome, provider, model,
                                   priced_model, priced, cost_usd, tags, started_at, recorded_at)
            SELECT 'run-' || (i % 50), :prefix || i, 1, 0, 'default', 'wf-' || (i % 50),
                   :workflowType, :activityType, 'queue', 'COMPLETED', 'openai', 'gpt-4o', 'gpt-4o',
                   true, CAST(:usd AS numeric), '{}'::jsonb, t, t
              FROM generate_series(1, :n) i,
                   LATERAL (SELECT CAST(:last AS timestamptz) - (:n - i) * interval '1 second' AS t) w
            """)
        .bind("prefix", UUID.randomUUID() + "-")
        .bind("workflowType", workflowType)
        .bind("activityType", activityType)
        .bind("usd", usd)
        .bind("n", activities)
        .bind("last", last.toString())
        .execute();
  }

  /** The monthly partitions of {@code cost_step} these times fall in. */
  private static void partitionsFor(Instant... instants) {
    jdbi.useHandle(
        h -> {
          for (Instant at : instants) {
            java.time.YearMonth m = StepPartitions.monthOf(at);
            h.execute(
                "CREATE TABLE IF NOT EXISTS %s PARTITION OF cost_step FOR VALUES FROM ('%s 00:00:00+00') TO ('%s 00:00:00+00')"
                    .formatted(StepPartitions.name(m), m.atDay(1), m.plusMonths(1).atDay(1)));
          }
        });
  }

  private static BudgetSettleRequest asking(String workflowType, String activityType) {
    return ExpectedCostQuestion.of(UUID.randomUUID().toString(), workflowType, activityType);
  }

  @Test
  void theExpectedCostIsReadFromTheTypesMostRecentLines() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Instant older = now.minus(Duration.ofDays(3));
    partitionsFor(now, older);
    // 500 renders at $5 three days ago, then 2,000 at $0.01: a fifth of the week's renders are
    // dear, so the 95th percentile of the whole week would be $5
    jdbi.useHandle(
        h -> {
          recorded(h, "Studio", "Render", 500, "5", older);
          recorded(h, "Studio", "Render", BudgetPolicy.HISTORY_LINES, "0.01", now);
        });
    Budgets budgets = new Budgets(jdbi, new CostMetrics(), List.of(), new MovableClock(now));

    ExpectedCost expected = budgets.settle(asking("Studio", "Render")).expected().get("Render");

    assertThat(expected.source()).isEqualTo(ExpectedCost.HISTORY);
    assertThat(expected.samples()).isEqualTo(BudgetPolicy.HISTORY_LINES);
    assertThat(expected.usd()).isEqualByComparingTo("0.01");
  }

  @Test
  void aFigureDueAgainIsReadByOneSettlementWhileTheOthersReuseThePreviousOne() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    partitionsFor(now, now.plus(Duration.ofMinutes(2)));
    jdbi.useHandle(h -> recorded(h, "Gallery", "Sketch", 10, "0.04", now));
    MovableClock clock = new MovableClock(now);
    Budgets budgets = new Budgets(jdbi, new CostMetrics(), List.of(), clock);
    assertThat(budgets.settle(asking("Gallery", "Sketch")).expected().get("Sketch").usd())
        .isEqualByComparingTo("0.04");
    clock.advance(BudgetPolicy.HISTORY_REFRESH.plusSeconds(1));

    try (Handle holder = jdbi.open()) {
      // the history cannot be read until this transaction ends; meanwhile it records dearer
      // sketches
      holder.begin();
      holder.execute("LOCK TABLE cost_step IN ACCESS EXCLUSIVE MODE");
      recorded(holder, "Gallery", "Sketch", 10, "0.40", now.plusSeconds(30));
      CompletableFuture<ExpectedCost> reading =
          CompletableFuture.supplyAsync(
              () -> budgets.settle(asking("Gallery", "Sketch")).expected().get("Sketch"));
      awaitWaitingForALock();

      ExpectedCost meanwhile =
          CompletableFuture.supplyAsync(
                  () -> budgets.settle(asking("Gallery", "Sketch")).expected().get("Sketch"))
              .get(10, TimeUnit.SECONDS);
      assertThat(meanwhile.usd())
          .as("the previous figure, not a second read")
          .isEqualByComparingTo("0.04");
      assertThat(reading).as("the read is still waiting").isNotDone();

      holder.commit();
      assertThat(reading.get(10, TimeUnit.SECONDS).usd())
          .as("the 95th percentile of ten sketches at $0.04 and ten at $0.40")
          .isEqualByComparingTo("0.40");
    }
    assertThat(budgets.settle(asking("Gallery", "Sketch")).expected().get("Sketch").usd())
        .as("the new figure, reused")
        .isEqualByComparingTo("0.40");
  }

  private static void awaitWaitingForALock() {
    Eventually.until(
        "the history read waits for the lock",
        Duration.ofSeconds(10),
        () ->
            jdbi.withHandle(
                    h ->
                        h.createQuery(
                                "SELECT count(*) FROM pg_locks WHERE NOT granted AND database ="
                                    + " (SELECT oid FROM pg_database WHERE datname ="
                                    + " current_database())")
                            .mapTo(Long.class)
                            .one())
                > 0);
  }
}
