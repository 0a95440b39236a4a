package dev.costwise.pricing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The small, hand-checked catalog the pricing tests compute against. */
final class TestCatalogs {
  private TestCatalogs() {}

  static PriceCatalog small() {
    try (InputStream in = TestCatalogs.class.getResourceAsStream("/pricing/test-catalog.json")) {
      return CatalogFormat.read(in, "test-catalog.json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
