package dev.costwise.pricing;

import java.util.Map;

/**
 * A long-context tier: when a call's prompt (input plus cached tokens) is above {@code
 * aboveInputTokens}, the whole call is priced at {@code rates}, which overlay the base rates.
 *
 * @param serviceTiers long-context rates of service tiers ({@code priority} above 272k tokens, for
 *     example), laid over the service tier's own rates for a call above the threshold
 */
public record Tier(long aboveInputTokens, Rates rates, Map<String, Rates> serviceTiers) {
  /** A tier without service-tier rates of its own. */
  public Tier(long aboveInputTokens, Rates rates) {
    this(aboveInputTokens, rates, Map.of());
  }

  /** Rejects a non-positive threshold and an unknown service tier. */
  public Tier {
    if (aboveInputTokens <= 0) {
      throw new IllegalArgumentException(
          "tier threshold must be positive, was " + aboveInputTokens);
    }
    if (rates == null) {
      throw new IllegalArgumentException("tier needs rates");
    }
    Map<String, Rates> byTier = new java.util.TreeMap<>();
    if (serviceTiers != null) {
      serviceTiers.forEach(
          (name, r) -> {
            if (!ModelPrice.SERVICE_TIERS.contains(name)) {
              throw new IllegalArgumentException(
                  "unknown service tier '"
                      + CatalogFormat.shorten(name, 40)
                      + "'; known tiers are "
                      + ModelPrice.SERVICE_TIERS);
            }
            if (r != null && !r.isEmpty()) {
              byTier.put(name, r);
            }
          });
    }
    serviceTiers = Map.copyOf(byTier);
  }
}
