package dev.costwise.worker;

/**
 * A service the worker needs could not be reached or started (Temporal, PostgreSQL, a port). The
 * message says which, where, why and what to check; the command line prints it as one line and
 * exits with 1.
 */
public final class StartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
