package dev.costwise.worker.http;

/**
 * The HTTP server could not start on its address. The message says which address and why; {@link
 * #problem()} tells the process that configured the address which of its settings to point at.
 */
public final class HttpStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, so that the caller can name the setting to change. */
  public enum Problem {
    /** The host does not name an interface of this machine. */
    UNKNOWN_HOST,
    /** Another process listens on the port. */
    PORT_IN_USE,
    /** Anything else, such as an address this machine does not have. */
    OTHER
  }

  private final Problem problem;

  /** Creates the exception. */
  public HttpStartException(Problem problem, String message, Throwable cause) {
    super(message, cause);
    this.problem = problem;
  }

  /** What went wrong. */
  public Problem problem() {
    return problem;
  }
}
