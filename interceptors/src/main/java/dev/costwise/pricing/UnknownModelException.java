package dev.costwise.pricing;

/**
 * Thrown in strict mode when usage names a model the catalog cannot price. The usage is still
 * recorded, flagged unpriced, before this is thrown.
 */
public final class UnknownModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the model and what to do. */
  public UnknownModelException(String message) {
    super(message);
  }
}
