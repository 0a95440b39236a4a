package dev.costwise.store;

import static dev.costwise.store.Attempts.attempt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * Requests and web searches are stored with their fees on each line and reach execution totals and
 * the daily rollup, before and after the rollup shards are folded.
 */
class FeesStoreTest {

  @Test
  void requestsAndWebSearchesAreStoredWithTheirFeesAndReachTotalsAndRollups() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    CostStore first = new CostStore(jdbi, 1);
    CostStore second = new CostStore(jdbi, 2);
    Usage claude =
        Usage.of("anthropic", "claude-sonnet-4-5").inputTokens(1_000).webSearches(4).build();
    Usage openai =
        Usage.of("openai", "gpt-4o-search-preview")
            .inputTokens(1_000)
            .webSearches(2, "high")
            .build();
    Usage perplexity =
        Usage.of("perplexity", "perplexity/sonar-medium-online")
            .outputTokens(100)
            .requests(3)
            .build();
    first.record(attempt("run-fees", "1", 1, Outcome.COMPLETED, claude, openai));
    second.record(attempt("run-fees", "2", 1, Outcome.COMPLETED, perplexity));

    List<StepRow> steps = first.steps("run-fees");
    assertThat(steps).hasSize(3);
    StepRow c = steps.get(0);
    assertThat(c.counts().webSearches()).isEqualTo(4);
    assertThat(c.searchContextSize()).isNull();
    assertThat(c.webSearchCost()).isEqualByComparingTo("0.04"); // $10 per 1,000
    assertThat(c.costUsd()).isEqualByComparingTo("0.043"); // + 1k x $3/M
    StepRow o = steps.get(1);
    assertThat(o.searchContextSize()).isEqualTo("high");
    assertThat(o.webSearchCost()).isEqualByComparingTo("0.1"); // $50 per 1,000 at high
    assertThat(o.requestCost()).isNull();
    StepRow p = steps.get(2);
    assertThat(p.counts().requests()).isEqualTo(3);
    assertThat(p.requestCost()).isEqualByComparingTo("0.015"); // $5 per 1,000
    assertThat(p.usage()).isEqualTo(perplexity);
    assertThat(o.usage()).isEqualTo(openai);

    ExecutionTotals t = first.execution("run-fees").orElseThrow();
    assertThat(t.counts().webSearches()).isEqualTo(6);
    assertThat(t.counts().requests()).isEqualTo(3);
    BigDecimal lines =
        steps.stream().map(StepRow::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(t.costUsd()).isEqualByComparingTo(lines);

    Map<String, Object> before = rollup(jdbi);
    assertThat(((Number) before.get("web_searches")).longValue()).isEqualTo(6);
    assertThat(((Number) before.get("requests")).longValue()).isEqualTo(3);
    assertThat((BigDecimal) before.get("cost_usd")).isEqualByComparingTo(lines);
    long shards =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT count(DISTINCT shard) FROM cost_rollup_daily_shard")
                    .mapTo(Long.class)
                    .one());
    assertThat(shards).isEqualTo(2);

    first.foldRollupShards(Attempts.T0.atZone(java.time.ZoneOffset.UTC).toLocalDate().plusDays(1));
    Map<String, Object> after = rollup(jdbi);
    assertThat(after).isEqualTo(before);
    long rows =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT count(*) FROM cost_rollup_daily_shard WHERE shard <> 0")
                    .mapTo(Long.class)
                    .one());
    assertThat(rows).isZero();
  }

  private static Map<String, Object> rollup(Jdbi jdbi) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT SUM(requests) AS requests, SUM(web_searches) AS web_searches,"
                        + " SUM(cost_usd) AS cost_usd FROM cost_rollup_daily")
                .mapToMap()
                .one());
  }
}
