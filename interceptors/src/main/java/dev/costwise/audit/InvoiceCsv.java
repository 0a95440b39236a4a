package dev.costwise.audit;

import dev.costwise.usage.Printable;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a provider's exported cost or usage CSV. The first line is a header; columns are found by
 * name (case and surrounding spaces ignored), in any order, extra columns ignored:
 *
 * <ul>
 *   <li>day: {@code date}, {@code day}, {@code usage_date}, {@code start_time} or {@code
 *       start_date} (a {@code yyyy-mm-dd} date, an ISO-8601 instant, or Unix seconds);
 *   <li>model: {@code model}, {@code model_name} or {@code model_id};
 *   <li>cost: {@code cost_usd}, {@code cost}, {@code amount}, {@code amount_usd} or {@code
 *       amount_value} (US dollars, a plain decimal; a leading {@code $} is accepted);
 *   <li>optionally {@code input_tokens} and {@code output_tokens}.
 * </ul>
 *
 * Fields may be quoted with {@code "}. A file breaks off at the first bad line, with its number.
 */
public final class InvoiceCsv {
  /** Most lines read from one file. */
  public static final int MAX_LINES = 1_000_000;

  /** Longest line accepted, in characters. */
  public static final int MAX_LINE = 10_000;

  private static final Map<String, List<String>> COLUMNS =
      Map.of(
          "day", List.of("date", "day", "usage_date", "start_time", "start_date"),
          "model", List.of("model", "model_name", "model_id"),
          "cost", List.of("cost_usd", "cost", "amount", "amount_usd", "amount_value"),
          "input", List.of("input_tokens"),
          "output", List.of("output_tokens"));

  private InvoiceCsv() {}

  /** Every line of {@code in}; {@code name} names the file in error messages. */
  public static List<InvoiceLine> read(Reader in, String name) throws IOException {
    BufferedReader r = new BufferedReader(in);
    String header = r.readLine();
    if (header == null) {
      throw new InvoiceException(
          name + " is empty; expected a header line such as date,model,cost_usd");
    }
    List<String> names = fields(strip(header), name, 1);
    int day = column(names, "day", name);
    int model = column(names, "model", name);
    int cost = column(names, "cost", name);
    int input = optional(names, "input");
    int output = optional(names, "output");
    List<InvoiceLine> lines = new ArrayList<>();
    int no = 1;
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      no++;
      if (no > MAX_LINES) {
        throw new InvoiceException(
            name + " has more than " + MAX_LINES + " lines; split it by month");
      }
      if (line.isBlank()) {
        continue;
      }
      List<String> f = fields(line, name, no);
      String where = name + " line " + no;
      int needed = Math.max(day, Math.max(model, cost));
      if (f.size() <= needed) {
        throw new InvoiceException(
            where + ": " + f.size() + " field(s), the header names " + names.size());
      }
      String m = f.get(model).strip();
      if (m.isEmpty()) {
        throw new InvoiceException(where + ": the model is empty");
      }
      lines.add(
          new InvoiceLine(
              day(f.get(day), where),
              Printable.cut(Printable.of(m), 200),
              amount(f.get(cost), where),
              count(input < 0 || input >= f.size() ? null : f.get(input), where, "input_tokens"),
              count(
                  output < 0 || output >= f.size() ? null : f.get(output),
                  where,
                  "output_tokens")));
    }
    return lines;
  }

  private static String strip(String header) {
    return header.startsWith("\uFEFF") ? header.substring(1) : header;
  }

  private static int column(List<String> names, String kind, String file) {
    int i = optional(names, kind);
    if (i < 0) {
      throw new InvoiceException(
          file
              + " line 1: no "
              + kind
              + " column; name one of "
              + COLUMNS.get(kind)
              + " (accepted layout: date,model,cost_usd[,input_tokens,output_tokens])");
    }
    return i;
  }

  private static int optional(List<String> names, String kind) {
    for (String candidate : COLUMNS.get(kind)) {
      int i = names.indexOf(candidate);
      if (i >= 0) {
        return i;
      }
    }
    return -1;
  }

  private static LocalDate day(String text, String where) {
    String t = text.strip();
    try {
      if (t.matches("\\d{9,11}")) {
        return LocalDate.ofInstant(Instant.ofEpochSecond(Long.parseLong(t)), ZoneOffset.UTC);
      }
      if (t.length() > 10 && t.length() <= 40) {
        return LocalDate.ofInstant(Instant.parse(t), ZoneOffset.UTC);
      }
      return LocalDate.parse(t);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new InvoiceException(
          where
              + ": '"
              + Printable.echo(t, 40)
              + "' is not a date (yyyy-mm-dd), instant or Unix time");
    }
  }

  private static BigDecimal amount(String text, String where) {
    String t = text.strip();
    if (t.startsWith("$")) {
      t = t.substring(1);
    }
    try {
      if (t.length() > 40) {
        throw new NumberFormatException();
      }
      return new BigDecimal(t);
    } catch (NumberFormatException e) {
      throw new InvoiceException(
          where + ": cost '" + Printable.echo(text.strip(), 40) + "' is not a decimal number");
    }
  }

  private static long count(String text, String where, String column) {
    if (text == null || text.isBlank()) {
      return -1;
    }
    try {
      long n = Long.parseLong(text.strip());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new InvoiceException(
          where
              + ": "
              + column
              + " '"
              + Printable.echo(text.strip(), 40)
              + "' is not a whole number");
    }
  }

  /** The fields of one CSV line; quotes may wrap a field and {@code ""} stands for a quote. */
  static List<String> fields(String line, String file, int no) {
    if (line.length() > MAX_LINE) {
      throw new InvoiceException(
          file + " line " + no + " is longer than " + MAX_LINE + " characters");
    }
    List<String> out = new ArrayList<>();
    StringBuilder b = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          b.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          b.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(b.toString());
        b.setLength(0);
      } else {
        b.append(c);
      }
    }
    if (quoted) {
      throw new InvoiceException(file + " line " + no + ": a quoted field is not closed");
    }
    out.add(b.toString());
    if (no == 1) {
      out.replaceAll(s -> s.strip().toLowerCase(Locale.ROOT));
    }
    return out;
  }
}
