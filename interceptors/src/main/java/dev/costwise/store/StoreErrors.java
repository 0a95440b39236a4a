package dev.costwise.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;

/**
 * Tells the failures of a cost write apart: the database could not be reached (write elsewhere and
 * try again later), or it refused the data itself (trying again can never succeed).
 */
public final class StoreErrors {
  private StoreErrors() {}

  /** Whether {@code error} means PostgreSQL could not be reached (as opposed to refusing data). */
  public static boolean unreachable(Throwable error) {
    return classify(error) == Kind.UNREACHABLE;
  }

  /** What kind of failure an exception from a write is. */
  enum Kind {
    /** No connection, or the server is shutting down or starting: the data is fine. */
    UNREACHABLE,
    /** PostgreSQL rejected the values (bad bytes, too long, out of range, constraint). */
    DATA,
    /** Anything else (deadlock, serialization failure, timeout): worth another try. */
    TRANSIENT
  }

  static Kind classify(Throwable error) {
    java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
    java.util.Set<Throwable> seen =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    if (error != null) {
      todo.add(error);
    }
    Kind found = Kind.TRANSIENT;
    while (!todo.isEmpty()) {
      Throwable t = todo.poll();
      if (!seen.add(t)) {
        continue;
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
      todo.addAll(java.util.Arrays.asList(t.getSuppressed()));
      if (t instanceof SQLTransientConnectionException
          || t instanceof SQLNonTransientConnectionException
          || t instanceof SQLRecoverableException
          || t instanceof java.net.ConnectException
          || t instanceof java.net.SocketException
          || t instanceof java.io.EOFException) {
        return Kind.UNREACHABLE;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08")
            || state.startsWith("57P")
            || state.equals("53300")
            || state.equals("3D000")) {
          return Kind.UNREACHABLE;
        }
        if (state.startsWith("22") || state.startsWith("23") || state.startsWith("54")) {
          found = Kind.DATA;
        }
      }
    }
    return found;
  }

  /** The most specific message, on one line and at most {@code max} characters. */
  static String message(Throwable error, int max) {
    Throwable t = error;
    while (!(t instanceof SQLException) && t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    m = m.replaceAll("\\p{Cntrl}", " ").strip();
    return m.length() <= max ? m : m.substring(0, max) + "…";
  }
}
