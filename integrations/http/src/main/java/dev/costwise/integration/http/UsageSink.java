package dev.costwise.integration.http;

import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import dev.costwise.usage.UsageScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one SDK call's usage goes: the activity attempt that was current on the thread that started
 * the call, captured then, so that the response may complete on any thread. Outside a tracked
 * attempt it records nothing. Recording never fails the SDK call: a malformed or unpriceable record
 * is logged (unpriceable records are still kept by the scope, and strict mode fails the attempt
 * when it ends).
 */
public final class UsageSink {
  private static final Logger log = LoggerFactory.getLogger(UsageSink.class);
  private static final UsageSink NONE = new UsageSink(null);

  private final UsageScope scope;

  private UsageSink(UsageScope scope) {
    this.scope = scope;
  }

  /** The calling thread's attempt, or a sink that records nothing when there is none. */
  public static UsageSink capture() {
    return CostUsage.isTracking() ? new UsageSink(CostUsage.currentScope()) : NONE;
  }

  /** A sink recording into {@code scope}. */
  public static UsageSink of(UsageScope scope) {
    return scope == null ? NONE : new UsageSink(scope);
  }

  /** Whether a call's usage would be recorded. */
  public boolean active() {
    return scope != null;
  }

  /**
   * Records one call's usage under the provider's response id (null when none); never throws.
   * Returns whether it reached the scope.
   */
  public boolean record(Usage usage, String responseId) {
    if (scope == null || usage == null) {
      return false;
    }
    try {
      scope.record(usage, responseId);
      return true;
    } catch (dev.costwise.pricing.UnknownModelException e) {
      return true; // kept unpriced by the scope; strict mode fails the attempt at its end
    } catch (RuntimeException e) {
      log.warn(
          "Usage of model {} (response {}) could not be recorded: {}",
          usage.model(),
          responseId,
          e.getMessage());
      return false;
    }
  }
}
