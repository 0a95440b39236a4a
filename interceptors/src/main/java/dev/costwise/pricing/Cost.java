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
 */
public record Cost(
    boolean priced,
    String pricedModel,
    String provider,
    BigDecimal total,
    Map<CostComponent, BigDecimal> breakdown,
    long tierAboveTokens,
    String unpricedReason) {

  /** Freezes the breakdown. */
  public Cost {
    breakdown =
        breakdown.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(breakdown));
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
