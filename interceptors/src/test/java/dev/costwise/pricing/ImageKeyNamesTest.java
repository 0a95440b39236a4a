package dev.costwise.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.usage.Usage;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The public list's image keys with size and steps in the name resolve as written and as model +
 * size + quality, at the published per-image price.
 */
class ImageKeyNamesTest {
  private static final Pricer PRICER = Pricer.of(CatalogSource.bundledCatalog());
  private static final Instant AT = Instant.parse("2026-11-20T00:00:00Z");

  private static Cost price(Usage u) {
    return PRICER.price(u, AT);
  }

  @Test
  void novaCanvasPricesAsWrittenAndAsModelSizeAndSteps() {
    Cost asWritten =
        price(
            Usage.of("", "1024-x-1024/50-steps/bedrock/amazon.nova-canvas-v1:0").images(2).build());
    Cost asParts =
        price(
            Usage.of("bedrock", "amazon.nova-canvas-v1:0")
                .images(2, "1024-x-1024", "50-steps")
                .build());
    assertThat(asWritten.total()).isEqualByComparingTo("0.12"); // 2 x $0.06
    assertThat(asParts.total()).isEqualByComparingTo("0.12");
  }

  @Test
  void stableDiffusionStepsPickTheirOwnPrice() {
    Cost maxSteps =
        price(
            Usage.of("", "512-x-512/max-steps/stability.stable-diffusion-xl-v0").images(1).build());
    Cost fiftySteps =
        price(
            Usage.of("bedrock", "stability.stable-diffusion-xl-v0")
                .images(1, "512x512", "50-steps")
                .build());
    assertThat(maxSteps.total()).isEqualByComparingTo("0.036");
    assertThat(maxSteps.pricedModel()).isEqualTo("stability.stable-diffusion-xl-v0");
    assertThat(fiftySteps.total()).isEqualByComparingTo("0.018");
  }
}
