package dev.costwise.usage;

/** Thrown when a usage record is malformed: negative, absurdly large or missing a model. */
public final class InvalidUsageException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says what was wrong and what is accepted. */
  public InvalidUsageException(String message) {
    super(message);
  }
}
