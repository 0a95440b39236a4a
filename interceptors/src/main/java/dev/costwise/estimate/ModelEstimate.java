package dev.costwise.estimate;

import java.math.BigDecimal;

/** An estimate's figures summed per model over its priced steps. */
public record ModelEstimate(
    String provider, String model, BigDecimal lowUsd, BigDecimal expectedUsd, BigDecimal highUsd) {}
