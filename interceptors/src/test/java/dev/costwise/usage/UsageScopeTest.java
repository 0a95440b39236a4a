package dev.costwise.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Cost;
import dev.costwise.pricing.Pricer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The attempt scope from many threads: de-duplication by response id, and the end of an attempt.
 */
class UsageScopeTest {
  private final Pricer pricer = Pricer.of(CatalogSource.bundledCatalog());

  private static Usage call(long input) {
    return Usage.of("openai", "gpt-4o").inputTokens(input).outputTokens(10).build();
  }

  @Test
  void aResponseIdSeenTwiceIsRecordedOnce() {
    UsageScope scope = new UsageScope(pricer);
    Cost first = scope.record(call(100), "chatcmpl-1");
    Cost second = scope.record(call(999), "chatcmpl-1");
    scope.record(call(5), "chatcmpl-2");
    scope.record(call(7));
    scope.record(call(7), " ");

    assertThat(second).isSameAs(first);
    assertThat(scope.records())
        .extracting(r -> r.usage().inputTokens())
        .containsExactly(100L, 5L, 7L, 7L);
  }

  @Test
  void recordsFromManyThreadsAreAllKept() throws Exception {
    UsageScope scope = new UsageScope(pricer);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 100; i++) {
                    scope.record(call(1), "r-" + thread + "-" + i);
                    scope.record(call(1), "r-" + thread + "-" + i); // a second layer
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(scope.records()).hasSize(800);
  }

  @Test
  void usageAfterTheAttemptEndedGoesToTheLateHandlerAndIsNotKept() throws Exception {
    UsageScope scope = new UsageScope(pricer);
    scope.record(call(100), "in-time");
    List<String> late = new CopyOnWriteArrayList<>();
    List<PricedUsage> captured =
        scope.close(
            (line, id) ->
                late.add(id + ":" + line.cost().total().stripTrailingZeros().toPlainString()));
    assertThat(captured).hasSize(1);

    CountDownLatch recorded = new CountDownLatch(1);
    Thread other =
        new Thread(
            () -> {
              scope.record(call(1_000), "too-late");
              scope.record(call(100), "in-time"); // same call as before: still counted once
              recorded.countDown();
            });
    other.start();
    assertThat(recorded.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(late).containsExactly("too-late:0.0026"); // 1000*2.5/M + 10*10/M
    assertThat(scope.records()).hasSize(1);
    assertThat(scope.isClosed()).isTrue();
  }

  @Test
  void oneHourCacheWritesCountTowardThePromptButApart() {
    Usage u =
        Usage.of("anthropic", "claude-sonnet-4-5")
            .inputTokens(10)
            .cacheWriteTokens(100)
            .cacheWrite1hTokens(1_000)
            .build();
    assertThat(u.promptTokens()).isEqualTo(1_110);
    assertThat(u.hasConsumption()).isTrue();
    assertThat(u)
        .isNotEqualTo(
            Usage.of("anthropic", "claude-sonnet-4-5")
                .inputTokens(10)
                .cacheWriteTokens(100)
                .build());
  }
}
