package dev.costwise.audit;

/** An invoice or usage export that cannot be read, with the file and line that is wrong. */
public final class InvoiceException extends RuntimeException {
  /** A bounded message naming the file and line. */
  public InvoiceException(String message) {
    super(message);
  }
}
