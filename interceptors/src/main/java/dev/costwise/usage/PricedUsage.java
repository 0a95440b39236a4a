package dev.costwise.usage;

import dev.costwise.pricing.Cost;

/** One usage record and its price, as captured in an activity attempt. */
public record PricedUsage(Usage usage, Cost cost) {}
