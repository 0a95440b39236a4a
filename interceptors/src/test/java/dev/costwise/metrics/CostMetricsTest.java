package dev.costwise.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a Prometheus scrape shows: names that follow Prometheus conventions, fixed low-cardinality
 * tags.
 */
class CostMetricsTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());

  private static PricedUsage priced(Usage u) {
    return new PricedUsage(u, PRICER.priceLenient(u));
  }

  @Test
  void scrapeShowsCostTokensMediaAndUnpricedUsageByModelAndActivity() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    CostMetrics metrics = CostMetrics.boundTo(registry);
    AttemptContext ctx =
        new AttemptContext(
            "default", "wf-1", "Pipeline", "run-1", "1", "WriteScript", 1, "media", Instant.EPOCH);
    metrics.recordAttempt(
        ctx,
        List.of(
            priced(Usage.of("openai", "gpt-4o").inputTokens(1_200).outputTokens(300).build()),
            priced(Usage.of("openai", "dall-e-3").images(2, "1024x1024", "standard").build()),
            priced(Usage.of("acme", "mystery").inputTokens(5).build())));
    metrics.persistenceFailed(true);

    String scrape = registry.scrape();
    assertThat(scrape)
        .contains("# TYPE costwise_cost_usd_total counter")
        .containsPattern(
            "costwise_cost_usd_total\\{[^}]*activity_type=\"WriteScript\"[^}]*model=\"gpt-4o\"[^}]*} 0.006")
        .containsPattern(
            "costwise_tokens_total\\{[^}]*kind=\"input\"[^}]*model=\"gpt-4o\"[^}]*} 1200")
        .containsPattern("costwise_tokens_total\\{[^}]*kind=\"output\"[^}]*} 300")
        .containsPattern("costwise_images_total\\{[^}]*model=\"dall-e-3\"[^}]*} 2")
        .containsPattern("costwise_usage_unpriced_total\\{[^}]*model=\"mystery\"[^}]*} 1")
        .containsPattern("costwise_persistence_failures_total\\{[^}]*spooled=\"true\"[^}]*} 1")
        .contains("task_queue=\"media\"", "workflow_type=\"Pipeline\"", "provider=\"openai\"")
        .doesNotContain("run-1", "wf-1");
  }
}
