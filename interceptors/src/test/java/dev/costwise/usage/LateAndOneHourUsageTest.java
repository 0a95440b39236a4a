package dev.costwise.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.store.StepRow;
import dev.costwise.testing.ActivityHarness;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On the Temporal test server with real PostgreSQL: usage recorded from another thread, usage that
 * arrives after its attempt ended (counted and logged, not stored), and one-hour cache writes
 * stored and priced apart.
 */
class LateAndOneHourUsageTest {
  private static ActivityHarness harness;

  @BeforeAll
  static void start() {
    harness = ActivityHarness.start();
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @Test
  void usageFromAnotherThreadJoinsTheAttemptAndLateUsageIsCountedNotStored() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch lateDone = new CountDownLatch(1);
    String runId =
        harness.run(
            "late-usage",
            () -> {
              UsageScope scope = CostUsage.currentScope();
              Thread helper =
                  new Thread(
                      () ->
                          scope.record(
                              Usage.of("openai", "gpt-4o").inputTokens(1_000).build(), "a"));
              helper.start();
              helper.join();
              Thread late =
                  new Thread(
                      () -> {
                        try {
                          release.await(30, TimeUnit.SECONDS);
                          scope.record(
                              Usage.of("openai", "gpt-4o").inputTokens(2_000).build(), "b");
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        } finally {
                          lateDone.countDown();
                        }
                      });
              late.start();
              return "done";
            });
    release.countDown();
    assertThat(lateDone.await(30, TimeUnit.SECONDS)).isTrue();

    List<StepRow> steps = harness.steps(runId);
    assertThat(steps).hasSize(1);
    assertThat(steps.get(0).counts().inputTokens()).isEqualTo(1_000);
    assertThat(steps.get(0).costUsd()).isEqualByComparingTo("0.0025"); // 1000*2.5/M
    assertThat(harness.count("costwise.usage.late")).isEqualTo(1.0);
    assertThat(harness.store().execution(runId).orElseThrow().counts().inputTokens())
        .isEqualTo(1_000);
  }

  @Test
  void oneHourCacheWritesAreStoredAndPricedApart() {
    String runId =
        harness.run(
            "one-hour-writes",
            () -> {
              CostUsage.record(
                  Usage.of("anthropic", "claude-sonnet-4-5-20250929")
                      .inputTokens(100)
                      .cacheWriteTokens(1_000)
                      .cacheWrite1hTokens(2_000)
                      .outputTokens(50)
                      .build());
              return "done";
            });
    StepRow row = harness.steps(runId).get(0);
    assertThat(row.counts().cacheWriteTokens()).isEqualTo(1_000);
    assertThat(row.counts().cacheWrite1hTokens()).isEqualTo(2_000);
    assertThat(row.cacheWriteCost()).isEqualByComparingTo("0.00375"); // 1000*3.75/M
    assertThat(row.cacheWrite1hCost()).isEqualByComparingTo("0.012"); // 2000*6/M
    assertThat(row.costUsd())
        .isEqualByComparingTo("0.016800"); // 100*3/M + 0.00375 + 0.012 + 50*15/M
    Long stored =
        harness
            .store()
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "SELECT cache_write_1h_tokens FROM cost_execution WHERE run_id = :r")
                        .bind("r", runId)
                        .mapTo(Long.class)
                        .one());
    assertThat(stored).isEqualTo(2_000L);
  }
}
