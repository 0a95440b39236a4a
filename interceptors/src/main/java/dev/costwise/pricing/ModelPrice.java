package dev.costwise.pricing;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One catalog entry: a model id, who serves it, its base rates, any long-context tiers, any
 * service-tier rates, and the dates its prices are in force.
 *
 * @param free a local or free model: every kind of usage is priced at exactly zero, and still
 *     tracked
 * @param source where the figures come from and as of when
 * @param serviceTiers rates of the provider's service tiers ({@code batch}, {@code flex}, {@code
 *     priority}), each laid over the base rates: a rate a tier does not publish is the standard one
 * @param effectiveFrom first day (UTC) these prices are in force, or null for "since always"
 * @param effectiveTo first day (UTC) they are no longer in force, or null for "still in force"
 */
public record ModelPrice(
    String id,
    String provider,
    String mode,
    boolean free,
    Rates rates,
    List<Tier> tiers,
    String source,
    Map<String, Rates> serviceTiers,
    LocalDate effectiveFrom,
    LocalDate effectiveTo) {

  /** The standard service tier: the base rates. */
  public static final String STANDARD = "standard";

  /** Service tiers a catalog may publish rates for, besides {@link #STANDARD}. */
  public static final List<String> SERVICE_TIERS = List.of("batch", "flex", "priority");

  /**
   * Sorts tiers by threshold and makes each tier's rates complete: a rate a tier does not publish
   * is inherited from the base rates (overlaying is idempotent, so copies stay equal). Rejects an
   * unknown service tier and an empty date range.
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
                .map(t -> new Tier(t.aboveInputTokens(), base.overlay(t.rates()), t.serviceTiers()))
                .sorted(Comparator.comparingLong(Tier::aboveInputTokens))
                .toList();
    source = source == null ? "" : source;
    Map<String, Rates> byTier = new TreeMap<>();
    if (serviceTiers != null) {
      serviceTiers.forEach(
          (name, r) -> {
            if (!SERVICE_TIERS.contains(name)) {
              throw new IllegalArgumentException(
                  "unknown service tier '"
                      + CatalogFormat.shorten(name, 40)
                      + "'; known tiers are "
                      + SERVICE_TIERS);
            }
            if (r != null && !r.isEmpty()) {
              byTier.put(name, r);
            }
          });
    }
    serviceTiers = Map.copyOf(byTier);
    if (effectiveFrom != null && effectiveTo != null && !effectiveTo.isAfter(effectiveFrom)) {
      throw new IllegalArgumentException(
          "effectiveTo " + effectiveTo + " must be after effectiveFrom " + effectiveFrom);
    }
  }

  /** An undated entry without service tiers. */
  public ModelPrice(
      String id,
      String provider,
      String mode,
      boolean free,
      Rates rates,
      List<Tier> tiers,
      String source) {
    this(id, provider, mode, free, rates, tiers, source, Map.of(), null, null);
  }

  /** A free model: usage of every kind tracked and priced at zero. */
  public static ModelPrice free(String id, String provider, String source) {
    return new ModelPrice(id, provider, "free", true, Rates.NONE, List.of(), source);
  }

  /** The same prices in force from {@code from} (inclusive) to {@code to} (exclusive). */
  public ModelPrice during(LocalDate from, LocalDate to) {
    return new ModelPrice(id, provider, mode, free, rates, tiers, source, serviceTiers, from, to);
  }

  /** Whether these prices are in force at {@code at}. */
  public boolean inForceAt(Instant at) {
    LocalDate day = at.atZone(ZoneOffset.UTC).toLocalDate();
    return (effectiveFrom == null || !day.isBefore(effectiveFrom))
        && (effectiveTo == null || day.isBefore(effectiveTo));
  }

  /** Whether this entry carries dates. */
  public boolean dated() {
    return effectiveFrom != null || effectiveTo != null;
  }

  /**
   * The entry's name in an audit trail: the id, with the first day in force when it is dated
   * ({@code gpt-4o@2026-08-01}).
   */
  public String entryKey() {
    if (!dated()) {
      return id;
    }
    return id
        + "@"
        + (effectiveFrom == null ? "" : effectiveFrom)
        + (effectiveTo == null ? "" : ".." + effectiveTo);
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

  /**
   * The rates of {@code serviceTier} (null or {@code standard} for the base rates) for a prompt of
   * {@code promptTokens}, or null when this entry publishes no rate for that tier. Above a
   * long-context threshold, the service tier's rates are laid over the long-context rates, and the
   * long-context rates published for that service tier over both.
   */
  public Rates ratesFor(long promptTokens, String serviceTier) {
    Rates base = ratesFor(promptTokens);
    if (serviceTier == null || STANDARD.equals(serviceTier)) {
      return base;
    }
    Rates tier = serviceTiers.get(serviceTier);
    if (tier == null) {
      return null;
    }
    Rates rates = base.overlay(tier);
    Tier longContext = null;
    for (Tier t : tiers) {
      if (promptTokens > t.aboveInputTokens()) {
        longContext = t;
      }
    }
    Rates above = longContext == null ? null : longContext.serviceTiers().get(serviceTier);
    return above == null ? rates : rates.overlay(above);
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
