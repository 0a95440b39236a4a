package dev.costwise.worker.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections that take longer than a deadline to deliver a request: bytes have arrived
 * since the last response, yet no request has reached a handler. The idle timeout only catches a
 * client that sends nothing; this catches one that sends its headers a byte at a time.
 */
final class RequestDeadline implements Connection.Listener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RequestDeadline.class);
  private static final long SWEEP_MILLIS = 250;

  private final long deadlineNanos;
  private final Map<Connection, Mark> open = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper;

  /** Where a connection stands: bytes read when it last went quiet, and whether a handler runs. */
  private static final class Mark {
    volatile long bytesAtRest;
    volatile long pendingSince = -1;
    volatile boolean handling;
  }

  RequestDeadline(Duration deadline) {
    this.deadlineNanos = deadline.toNanos();
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "costwise-http-deadline");
              t.setDaemon(true);
              return t;
            });
    sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onOpened(Connection connection) {
    open.put(connection, new Mark());
  }

  @Override
  public void onClosed(Connection connection) {
    open.remove(connection);
  }

  /** A handler started on {@code connection}: the request arrived in time. */
  void handling(Connection connection) {
    Mark m = open.get(connection);
    if (m != null) {
      m.handling = true;
      m.pendingSince = -1;
    }
  }

  /** The handler on {@code connection} is done: what it has read so far is accounted for. */
  void handled(Connection connection) {
    Mark m = open.get(connection);
    if (m != null) {
      m.bytesAtRest = Math.max(0, connection.getBytesIn());
      m.pendingSince = -1;
      m.handling = false;
    }
  }

  /** Connections open now; for the tests and the log. */
  int openConnections() {
    return open.size();
  }

  private void sweep() {
    try {
      long now = System.nanoTime();
      open.forEach(
          (c, m) -> {
            if (m.handling) {
              return;
            }
            long in = c.getBytesIn();
            if (in <= m.bytesAtRest) {
              m.pendingSince = -1; // quiet: the idle timeout looks after it
              return;
            }
            if (m.pendingSince < 0) {
              m.pendingSince = now;
            } else if (now - m.pendingSince > deadlineNanos) {
              log.info(
                  "Closing HTTP connection from {}: no complete request within {} ms",
                  c.getEndPoint().getRemoteSocketAddress(),
                  TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
              open.remove(c);
              c.getEndPoint().close();
            }
          });
    } catch (RuntimeException e) {
      log.warn("HTTP request deadline sweep failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
