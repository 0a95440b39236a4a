package dev.costwise.report;

import dev.costwise.pricing.Money;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Writes RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled. A text
 * field a spreadsheet would run as a formula (one starting with {@code =}, {@code +}, {@code -},
 * {@code @}, a tab or a carriage return) is written with a leading single quote, so it shows as the
 * text it is; plain numbers such as {@code -1.5} are left as they are.
 */
public final class Csv {
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

  private Csv() {}

  /** Writes one record followed by CRLF. */
  public static void writeRow(Writer out, List<String> fields) {
    try {
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          out.write(',');
        }
        out.write(escape(fields.get(i)));
      }
      out.write("\r\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write CSV", e);
    }
  }

  /**
   * One value as a field: null as empty, a decimal exactly as {@link Money#plain} writes it,
   * anything else as its text, then escaped as {@link #escape} does.
   */
  public static String field(Object value) {
    if (value == null) {
      return "";
    }
    return escape(value instanceof BigDecimal d ? Money.plain(d) : value.toString());
  }

  /**
   * One field, formula-neutralised and quoted when it needs to be; null is written as an empty
   * field.
   */
  public static String escape(String field) {
    if (field == null) {
      return "";
    }
    String f = neutralise(field);
    if (f.indexOf(',') < 0 && f.indexOf('"') < 0 && f.indexOf('\n') < 0 && f.indexOf('\r') < 0) {
      return f;
    }
    return '"' + f.replace("\"", "\"\"") + '"';
  }

  /** {@code field} with a leading single quote when a spreadsheet would run it as a formula. */
  public static String neutralise(String field) {
    if (field.isEmpty()) {
      return field;
    }
    char c = field.charAt(0);
    boolean trigger = c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
    return trigger && !NUMBER.matcher(field).matches() ? "'" + field : field;
  }
}
