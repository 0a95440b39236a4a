package dev.costwise.store;

import static dev.costwise.store.Attempts.attempt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.CatalogVersion;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/** Each stored line says what it was priced with; audio tokens reach totals and rollups. */
class PricedWithStoreTest {

  @Test
  void aStoredLineRecordsItsCatalogEntryAndTierAndItsAudioTokens() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    CostStore store = new CostStore(jdbi);
    Usage batch =
        Usage.of("openai", "gpt-4o")
            .inputTokens(1_000_000)
            .outputTokens(1_000_000)
            .serviceTier("batch")
            .build();
    Usage audio =
        Usage.of("openai", "gpt-4o-audio-preview")
            .audioInputTokens(10_000)
            .audioOutputTokens(5_000)
            .build();
    store.record(attempt("run-audit", "1", 1, Outcome.COMPLETED, batch, audio));

    List<StepRow> steps = store.steps("run-audit");
    assertThat(steps).hasSize(2);
    CatalogVersion bundled = CatalogSource.bundledCatalog().version();
    StepRow b = steps.get(0);
    assertThat(b.pricedWith().catalog()).isEqualTo(bundled);
    assertThat(b.pricedWith().priceEntry()).isEqualTo("gpt-4o");
    assertThat(b.serviceTier()).isEqualTo("batch");
    assertThat(b.pricedWith().pricedTier()).isEqualTo("batch");
    assertThat(b.costUsd()).isEqualByComparingTo("6.25"); // 1.25 + 5 per million

    StepRow a = steps.get(1);
    assertThat(a.counts().audioInputTokens()).isEqualTo(10_000);
    assertThat(a.audioInputCost()).isEqualByComparingTo("0.4"); // 10000 * 40 / M
    assertThat(a.audioOutputCost()).isEqualByComparingTo("0.4"); // 5000 * 80 / M
    assertThat(a.pricedWith().pricedTier()).isEqualTo("standard");

    ExecutionTotals t = store.execution("run-audit").orElseThrow();
    assertThat(t.counts().audioInputTokens()).isEqualTo(10_000);
    assertThat(t.counts().audioOutputTokens()).isEqualTo(5_000);
    assertThat(t.costUsd()).isEqualByComparingTo("7.05");
    long rolled =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT SUM(audio_output_tokens) FROM cost_rollup_daily")
                    .mapTo(Long.class)
                    .one());
    assertThat(rolled).isEqualTo(5_000);
  }
}
