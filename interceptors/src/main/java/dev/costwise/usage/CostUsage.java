package dev.costwise.usage;

import dev.costwise.pricing.Cost;
import java.util.List;

/**
 * What activity code calls to report model usage in the current attempt.
 *
 * <pre>{@code
 * var reply = openAi.chat(request);
 * CostUsage.record(Usage.of("openai", "gpt-4o")
 *     .inputTokens(reply.usage().promptTokens())
 *     .outputTokens(reply.usage().completionTokens())
 *     .build());
 * }</pre>
 *
 * <p>The attempt is found through the calling thread, the way Temporal's own {@code
 * Activity.getExecutionContext()} finds it: call from the activity's thread, not from a thread the
 * activity started (pass the {@link UsageScope} from {@link #currentScope()} to such threads).
 */
public final class CostUsage {
  private static final ThreadLocal<UsageScope> CURRENT = new ThreadLocal<>();

  private CostUsage() {}

  /**
   * Prices and records one model call's usage in the current attempt and returns its price.
   *
   * @throws NoActiveUsageScopeException when not inside a tracked activity attempt
   * @throws InvalidUsageException when the record is malformed
   */
  public static Cost record(Usage usage) {
    return currentScope().record(usage);
  }

  /** Records several model calls. Each is validated before any is recorded. */
  public static void recordAll(List<Usage> usages) {
    UsageScope scope = currentScope();
    for (Usage u : usages) {
      if (u == null) {
        throw new InvalidUsageException("usage list contains null");
      }
    }
    usages.forEach(scope::record);
  }

  /** Tags the current attempt's cost rows, for example {@code tag("tenant", "acme")}. */
  public static void tag(String key, String value) {
    currentScope().tag(key, value);
  }

  /** Whether the calling thread is inside a tracked activity attempt. */
  public static boolean isTracking() {
    return CURRENT.get() != null;
  }

  /** The current attempt's scope, to hand to helper threads. */
  public static UsageScope currentScope() {
    UsageScope scope = CURRENT.get();
    if (scope == null) {
      throw new NoActiveUsageScopeException();
    }
    return scope;
  }

  /**
   * Binds {@code scope} to the calling thread until the returned handle is closed. For the
   * interceptor.
   */
  public static Binding bind(UsageScope scope) {
    UsageScope previous = CURRENT.get();
    CURRENT.set(scope);
    return () -> {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    };
  }

  /** Restores the thread's previous scope when closed. */
  @FunctionalInterface
  public interface Binding extends AutoCloseable {
    @Override
    void close();
  }
}
