package dev.costwise.integration.http;

import java.util.Arrays;

/**
 * Finds one plain field of a {@code multipart/form-data} body (such as the model of an upload) in
 * the bytes as they are sent, for a body that can be read only once, such as a file streamed from
 * an {@code InputStream}. Only a short tail of the body is held, never the upload itself; once the
 * field is found, later bytes are passed over.
 */
public final class FormFieldTap {
  /** Bytes kept between chunks: a part's headers and a short value fit well within it. */
  private static final int KEEP = 2048;

  private final String name;
  private byte[] tail = new byte[0];
  private volatile String value;

  /** A tap for form field {@code name}. */
  public FormFieldTap(String name) {
    this.name = name;
  }

  /** Takes the next {@code len} bytes of the body, in the order they are sent. */
  public void accept(byte[] bytes, int off, int len) {
    if (value != null || len <= 0) {
      return;
    }
    byte[] joined = Arrays.copyOf(tail, tail.length + len);
    System.arraycopy(bytes, off, joined, tail.length, len);
    // a field's value is complete only once the line that ends it has arrived
    if (containsNewline(bytes, off, len)) {
      String found = Multipart.field(joined, name);
      if (found != null) {
        value = found;
        tail = new byte[0];
        return;
      }
    }
    tail =
        joined.length <= KEEP
            ? joined
            : Arrays.copyOfRange(joined, joined.length - KEEP, joined.length);
  }

  /** The field's value once the bytes carrying it were sent, else null. */
  public String value() {
    return value;
  }

  private static boolean containsNewline(byte[] bytes, int off, int len) {
    for (int i = off; i < off + len; i++) {
      if (bytes[i] == '\n') {
        return true;
      }
    }
    return false;
  }
}
