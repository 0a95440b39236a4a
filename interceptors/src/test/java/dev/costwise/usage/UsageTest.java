package dev.costwise.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class UsageTest {
  @Test
  void negativeAndAbsurdCountsAreRejectedWithTheFieldAndModel() {
    assertThatThrownBy(() -> Usage.of("openai", "gpt-4o").outputTokens(-1).build())
        .isInstanceOf(InvalidUsageException.class)
        .hasMessageContaining("outputTokens")
        .hasMessageContaining("gpt-4o")
        .hasMessageContaining("zero or positive");
    assertThatThrownBy(() -> Usage.of("openai", "gpt-4o").inputTokens(Usage.MAX_TOKENS + 1).build())
        .hasMessageContaining("above the limit");
    assertThatThrownBy(
            () -> Usage.of("google", "veo-3").videoSeconds(new BigDecimal("-2"), false).build())
        .hasMessageContaining("videoSeconds");
    assertThatThrownBy(
            () -> Usage.of("google", "veo-3").videoSeconds(new BigDecimal("1.0001"), false).build())
        .hasMessageContaining("millisecond");
    assertThatThrownBy(() -> Usage.of("openai", " ").build()).hasMessageContaining("needs a model");
  }

  @Test
  void namesAndImageSizesAreNormalized() {
    Usage u = Usage.of(" OpenAI ", " dall-e-3 ").images(1, "1024-X-1024", "HD").build();
    assertThat(u.provider()).isEqualTo("openai");
    assertThat(u.model()).isEqualTo("dall-e-3");
    assertThat(u.imageSize()).isEqualTo("1024x1024");
    assertThat(u.imageQuality()).isEqualTo("hd");
    assertThat(u.hasConsumption()).isTrue();
    assertThat(Usage.of("openai", "gpt-4o").build().hasConsumption()).isFalse();
  }

  @Test
  void recordingOutsideAnActivityIsAClearError() {
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(1).build();
    assertThat(CostUsage.isTracking()).isFalse();
    assertThatThrownBy(() -> CostUsage.record(u))
        .isInstanceOf(NoActiveUsageScopeException.class)
        .hasMessageContaining("activity");
  }

  @Test
  void aBadRecordInABatchRecordsNothing() {
    UsageScope scope = new UsageScope(Pricer.of(CatalogSource.bundledCatalog()));
    try (CostUsage.Binding ignored = CostUsage.bind(scope)) {
      Usage good = Usage.of("openai", "gpt-4o").inputTokens(1).build();
      assertThatThrownBy(() -> CostUsage.recordAll(java.util.Arrays.asList(good, null)))
          .isInstanceOf(InvalidUsageException.class);
      assertThat(scope.records()).isEmpty();
      assertThatThrownBy(() -> CostUsage.tag("bad key!", "x")).hasMessageContaining("tag key");
      CostUsage.record(good);
    }
    assertThat(scope.records()).hasSize(1);
    assertThat(CostUsage.isTracking()).isFalse();
  }

  @Test
  void modelAndProviderNamesAreMadeStorableByADocumentedRewrite() {
    Usage u =
        Usage.of(" Open\u0000AI ", "gpt-4o\u0000-mini\n" + "x".repeat(500)).inputTokens(1).build();
    assertThat(u.provider()).isEqualTo("openai");
    assertThat(u.model())
        .startsWith("gpt-4o-mini")
        .hasSize(Usage.MAX_MODEL)
        .doesNotContain("\u0000");
    assertThatThrownBy(() -> Usage.of("openai", "\u0000\u0001").inputTokens(1).build())
        .isInstanceOf(InvalidUsageException.class)
        .hasMessageContaining("printable");
  }

  @Test
  void tagsThatCannotBeStoredAreRefusedWithTheirNameAndTheRule() {
    UsageScope scope =
        new UsageScope(
            dev.costwise.pricing.Pricer.of(dev.costwise.pricing.CatalogSource.bundledCatalog()));
    assertThatThrownBy(() -> scope.tag("tenant", "acme\u0000"))
        .hasMessageContaining("tag 'tenant' contains the control character U+0000 at position 4");
    assertThatThrownBy(() -> scope.tag("tenant", "y".repeat(3_000)))
        .hasMessageContaining("tag 'tenant' is 3000 characters long; at most 256");
    assertThatThrownBy(() -> scope.tag("tenant", "broken \uD800"))
        .hasMessageContaining("broken surrogate pair");
    for (int i = 0; i < Tags.MAX_TAGS; i++) {
      scope.tag("k" + i, "v");
    }
    assertThatThrownBy(() -> scope.tag("one-more", "v")).hasMessageContaining("more than 32 tags");
    assertThat(scope.tags()).hasSize(Tags.MAX_TAGS);
  }

  @Test
  void anAbsurdAmountIsRefusedWithAShortMessage() {
    assertThatThrownBy(
            () ->
                Usage.of("vertex_ai", "veo-3.0-generate-001")
                    .videoSeconds(new BigDecimal("1e999999999"), false)
                    .build())
        .isInstanceOf(InvalidUsageException.class)
        .hasMessageContaining("above the limit")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
  }
}
