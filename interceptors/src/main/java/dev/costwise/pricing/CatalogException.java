package dev.costwise.pricing;

/** A price file could not be read or is malformed; the message names the file and the problem. */
public final class CatalogException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public CatalogException(String message) {
    super(message);
  }

  /** Creates the exception with its cause. */
  public CatalogException(String message, Throwable cause) {
    super(message, cause);
  }
}
