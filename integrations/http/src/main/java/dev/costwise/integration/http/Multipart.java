package dev.costwise.integration.http;

import java.nio.charset.StandardCharsets;

/** Reads one plain field of a {@code multipart/form-data} body (such as the model of an upload). */
public final class Multipart {
  private static final int MAX_VALUE = 256;

  private Multipart() {}

  /** The value of form field {@code name}, or null when absent or longer than 256 bytes. */
  public static String field(byte[] body, String name) {
    byte[] marker = ("name=\"" + name + "\"").getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(body, marker, 0);
    while (at >= 0) {
      int after = at + marker.length;
      boolean whole = at == 0 || body[at - 1] == ' ' || body[at - 1] == ';';
      if (whole
          && after < body.length
          && (body[after] == '\r' || body[after] == '\n' || body[after] == ';')) {
        int start = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), after);
        if (start < 0) {
          return null;
        }
        start += 4;
        int end = indexOf(body, "\r\n".getBytes(StandardCharsets.US_ASCII), start);
        if (end < 0 || end - start > MAX_VALUE) {
          return null;
        }
        String value = new String(body, start, end - start, StandardCharsets.UTF_8).strip();
        return value.isEmpty() ? null : value;
      }
      at = indexOf(body, marker, after);
    }
    return null;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
