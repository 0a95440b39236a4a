package dev.costwise.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Takes Ctrl-C (SIGINT) and SIGTERM away from the JVM's default handling, which starts every
 * shutdown hook at once (the embedded PostgreSQL's own among them, which would stop the database
 * while activities still record their costs) and then exits with 130 or 143. With these handlers a
 * stop request only runs the given action, so the command stops its parts in order and exits with
 * the status its help documents.
 */
public final class StopSignals {
  private static final Logger log = LoggerFactory.getLogger(StopSignals.class);
  private static final List<String> SIGNALS = List.of("TERM", "INT");

  private StopSignals() {}

  /**
   * Runs {@code onStop} on the first SIGTERM or SIGINT, on a thread of its own; later signals are
   * logged and otherwise ignored while the stop proceeds.
   *
   * @return the signals that are now handled; empty when the JVM does not allow handling them (for
   *     example when started with {@code -Xrs}), in which case the JVM's default handling stays
   */
  public static List<String> onStop(Runnable onStop) {
    AtomicBoolean stopping = new AtomicBoolean();
    List<String> handled = new ArrayList<>();
    for (String name : SIGNALS) {
      try {
        Signal.handle(
            new Signal(name),
            signal -> {
              if (stopping.compareAndSet(false, true)) {
                log.info("SIG{} received: stopping", signal.getName());
                Thread t = new Thread(onStop, "costwise-stop");
                t.setDaemon(false);
                t.start();
              } else {
                log.info("SIG{} received: already stopping", signal.getName());
              }
            });
        handled.add(name);
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        log.debug("Cannot handle SIG{}: {}", name, e.toString());
      }
    }
    return handled;
  }
}
