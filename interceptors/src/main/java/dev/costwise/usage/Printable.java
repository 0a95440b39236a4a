package dev.costwise.usage;

/**
 * Text as PostgreSQL and a log line can hold it: without control characters (NUL among them) or
 * broken surrogate pairs, and cut to a length without splitting a pair. The one place names, tags
 * and reasons are made storable.
 */
public final class Printable {
  private Printable() {}

  /** {@code s} without control characters or broken surrogate pairs; null stays null. */
  public static String of(String s) {
    if (s == null) {
      return null;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        b.append(c).append(s.charAt(++i));
      } else if (!Character.isSurrogate(c)) {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** {@code s} cut to at most {@code max} characters, never between the halves of a pair. */
  public static String cut(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }

  /**
   * {@code s} as an error message may echo it: control characters shown as {@code ?}, at most
   * {@code max} characters then an ellipsis; null as {@code null}.
   */
  public static String echo(String s, int max) {
    if (s == null) {
      return "null";
    }
    String clean = s.replaceAll("\\p{Cntrl}", "?");
    return clean.length() <= max ? clean : cut(clean, max) + "…";
  }
}
