package dev.costwise.pricing;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The exact price of one usage record: a total and its breakdown by component. An unpriced cost
 * (unknown model, or a usage kind the model has no published price for) has no total and says why.
 *
 * @param pricedModel the catalog id the usage was priced as, or null when the model is unknown
 * @param provider the catalog's provider for that id, or null when the model is unknown
 * @param tierAboveTokens threshold of the long-context tier applied, 0 for base rates
 * @param catalog the catalog the cost was priced with (null when not known)
 * @param priceEntry the catalog entry applied, with its first day in force when dated ({@code
 *     gpt-4o@2026-08-01}), or null when no entry applied
 * @param serviceTier the service tier whose rates were applied ({@code standard}, {@code batch},
 *     {@code flex}, {@code priority}); {@code standard} when the requested tier has no published
 *     rates
 */
public record Cost(
    boolean priced,
    String pricedModel,
    String provider,
    BigDecimal total,
    Map<CostComponent, BigDecimal> breakdown,
    long tierAboveTokens,
    String unpricedReason,
    CatalogVersion catalog,
    String priceEntry,
    String serviceTier) {

  /** Freezes the breakdown. */
  public Cost {
    breakdown =
        breakdown.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(breakdown));
    serviceTier = serviceTier == null ? ModelPrice.STANDARD : serviceTier;
  }

  /** A cost without its catalog version (priced before versions were kept). */
  public Cost(
      boolean priced,
      String pricedModel,
      String provider,
      BigDecimal total,
      Map<CostComponent, BigDecimal> breakdown,
      long tierAboveTokens,
      String unpricedReason) {
    this(
        priced,
        pricedModel,
        provider,
        total,
        breakdown,
        tierAboveTokens,
        unpricedReason,
        null,
        null,
        null);
  }

  /** This cost as priced with {@code catalog}, entry {@code entry} and {@code serviceTier}. */
  public Cost from(CatalogVersion catalog, String entry, String serviceTier) {
    return new Cost(
        priced,
        pricedModel,
        provider,
        total,
        breakdown,
        tierAboveTokens,
        unpricedReason,
        catalog,
        entry,
        serviceTier);
  }

  /** A priced cost. */
  public static Cost priced(ModelPrice model, Map<CostComponent, BigDecimal> breakdown, long tier) {
    BigDecimal total = BigDecimal.ZERO;
    for (BigDecimal part : breakdown.values()) {
      total = total.add(part);
    }
    return new Cost(true, model.id(), model.provider(), total, breakdown, tier, null);
  }

  /** Usage that could not be priced, and why. */
  public static Cost unpriced(ModelPrice model, String reason) {
    return new Cost(
        false,
        model == null ? null : model.id(),
        model == null ? null : model.provider(),
        null,
        Map.of(),
        0,
        reason);
  }

  /** The part of the total for {@code component}, or null when that component was not used. */
  public BigDecimal part(CostComponent component) {
    return breakdown.get(component);
  }
}
