package dev.costwise.usage;

import java.util.List;

/**
 * Implemented by activity results that carry their own usage: Costwise records it when the activity
 * returns, with no explicit call.
 */
public interface UsageReporting {
  /** The usage this result was produced with, one record per model call. */
  List<Usage> usage();
}
