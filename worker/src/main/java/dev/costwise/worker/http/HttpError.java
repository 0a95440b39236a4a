package dev.costwise.worker.http;

/**
 * A request the API refuses: a 4xx status with a short message that echoes at most a bounded,
 * printable excerpt of what the client sent.
 */
final class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The longest excerpt of client input an error message repeats. */
  static final int ECHO_LIMIT = 80;

  private final int status;

  HttpError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** A 400 Bad Request. */
  static HttpError badRequest(String message) {
    return new HttpError(400, message);
  }

  /** A 404 Not Found. */
  static HttpError notFound(String message) {
    return new HttpError(404, message);
  }

  int status() {
    return status;
  }

  /**
   * {@code value} as it may appear in a message: control characters replaced by '?', cut to {@link
   * #ECHO_LIMIT} characters with "..." and its full length when longer.
   */
  static String echo(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder();
    int n = Math.min(value.length(), ECHO_LIMIT);
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      b.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
    }
    if (value.length() > ECHO_LIMIT) {
      b.append("... (").append(value.length()).append(" characters)");
    }
    return b.toString();
  }
}
