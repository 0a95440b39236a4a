package dev.costwise.usage;

import java.util.List;

/**
 * Pulls usage out of activity results of types Costwise does not know, for example a provider SDK's
 * response object. Register extractors in {@code CostTrackingOptions}.
 */
@FunctionalInterface
public interface UsageExtractor {
  /** The usage carried by {@code result}, or an empty list when it carries none. */
  List<Usage> extract(Object result);
}
