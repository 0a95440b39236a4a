package dev.costwise.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits in tests for what another thread or the Temporal server does in its own time. */
public final class Eventually {
  private Eventually() {}

  /**
   * Returns once {@code condition} holds, checking every 20 ms; fails the test with {@code what}
   * when it still does not hold after {@code atMost}.
   */
  public static void until(String what, Duration atMost, BooleanSupplier condition) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + atMost + " waiting until " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what, e);
      }
    }
  }
}
