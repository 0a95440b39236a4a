package dev.costwise.estimate;

/** Where a step's figures came from. */
public enum EstimateSource {
  /** The plan's usage priced with the catalog. */
  PLAN,
  /** Percentiles of recorded per-attempt cost. */
  HISTORY,
  /** A planned call the catalog cannot price (unknown model or rate); no figures. */
  UNPRICED
}
