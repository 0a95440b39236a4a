package dev.costwise.store;

import dev.costwise.pricing.CatalogVersion;
import dev.costwise.pricing.Cost;

/**
 * What a step line was priced with, so anyone can say which price was applied and why: the catalog
 * (source, as-of date, content hash), the entry of it that applied (with its first day in force
 * when dated) and the service tier whose rates applied. All null on lines priced before this was
 * recorded.
 */
public record PricedWith(
    String catalogSource,
    String catalogAsOf,
    String catalogHash,
    String priceEntry,
    String pricedTier) {

  /** What {@code cost} was priced with. */
  public static PricedWith of(Cost cost) {
    CatalogVersion v = cost.catalog();
    return new PricedWith(
        v == null ? null : v.source(),
        v == null ? null : v.asOf(),
        v == null ? null : v.hash(),
        cost.priceEntry(),
        cost.serviceTier());
  }

  /** The catalog as a version value ({@link CatalogVersion#UNKNOWN} when not recorded). */
  public CatalogVersion catalog() {
    return catalogHash == null
        ? CatalogVersion.UNKNOWN
        : new CatalogVersion(catalogSource, catalogAsOf, catalogHash);
  }
}
