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

  /**
   * The server's own reason (for a batch, the statement's underlying error rather than the batch
   * text), with its SQLSTATE, on one line and at most {@code max} characters: never the SQL with
   * its values.
   */
  static String message(Throwable error, int max) {
    Throwable t = error;
    while (t != null && !(t instanceof SQLException) && t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m;
    if (t instanceof SQLException sql) {
      SQLException reason = sql.getNextException() != null ? sql.getNextException() : sql;
      m = reason.getMessage() == null ? reason.getClass().getSimpleName() : reason.getMessage();
      if (reason.getSQLState() != null) {
        m = "[" + reason.getSQLState() + "] " + m;
      }
    } else {
      m = t == null || t.getMessage() == null ? String.valueOf(t) : t.getMessage();
    }
    m = m.replaceAll("\\p{Cntrl}", " ").replaceAll(" +", " ").strip();
    return m.length() <= max ? m : m.substring(0, max) + "…";
  }
}
