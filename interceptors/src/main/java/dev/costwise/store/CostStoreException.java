package dev.costwise.store;

/** A cost write or read failed; the message says which run and why. */
public final class CostStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public CostStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
