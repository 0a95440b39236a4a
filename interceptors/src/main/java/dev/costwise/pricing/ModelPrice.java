package dev.costwise.pricing;

import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;

/**
 * One catalog entry: a model id, who serves it, its base rates and any long-context tiers.
 *
 * @param free a local or free model: every kind of usage is priced at exactly zero, and still
 *     tracked
 * @param source where the figures come from and as of when
 */
public record ModelPrice(
    String id,
    String provider,
    String mode,
    boolean free,
    Rates rates,
    List<Tier> tiers,
    String source) {

  /**
   * Sorts tiers by threshold and makes each tier's rates complete: a rate a tier does not publish
   * is inherited from the base rates (overlaying is idempotent, so copies stay equal).
   */
  public ModelPrice {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("model id is empty");
    }
    provider = provider == null ? "" : provider;
    mode = mode == null ? "" : mode;
    Rates base = rates == null ? Rates.NONE : rates;
    rates = base;
    tiers =
        tiers == null
            ? List.of()
            : tiers.stream()
                .map(t -> new Tier(t.aboveInputTokens(), base.overlay(t.rates())))
                .sorted(Comparator.comparingLong(Tier::aboveInputTokens))
                .toList();
    source = source == null ? "" : source;
  }

  /** A free model: usage of every kind tracked and priced at zero. */
  public static ModelPrice free(String id, String provider, String source) {
    return new ModelPrice(id, provider, "free", true, Rates.NONE, List.of(), source);
  }

  /** The rates in force for a call whose prompt has {@code promptTokens} tokens. */
  public Rates ratesFor(long promptTokens) {
    Rates effective = rates;
    for (Tier tier : tiers) {
      if (promptTokens > tier.aboveInputTokens()) {
        effective = tier.rates();
      }
    }
    return effective;
  }

  /** The threshold of the tier in force, or 0 for the base rates. */
  public long tierFor(long promptTokens) {
    long applied = 0;
    for (Tier tier : tiers) {
      if (promptTokens > tier.aboveInputTokens()) {
        applied = tier.aboveInputTokens();
      }
    }
    return applied;
  }

  /** Whether this entry publishes any rate or is free. */
  public boolean hasAnyPrice() {
    return free || !rates.isEmpty();
  }

  /** Convenience for tests and tools: input price per million tokens, or null. */
  public BigDecimal inputPerMTok() {
    return rates.inputPerMTok();
  }
}
