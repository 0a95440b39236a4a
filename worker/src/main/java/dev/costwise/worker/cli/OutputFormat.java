package dev.costwise.worker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.costwise.pricing.Money;
import dev.costwise.report.Csv;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.List;

/**
 * How report and estimate commands print: an aligned table for people, CSV (RFC 4180, header row)
 * for spreadsheets, or JSON of the whole result for programs. Money is printed exactly, never
 * rounded; in JSON it is a string so no reader turns it into a binary float.
 */
public enum OutputFormat {
  TABLE,
  CSV,
  JSON;

  /** The JSON form: dates as ISO text, decimals as exact strings. */
  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(
              new SimpleModule()
                  .addSerializer(
                      BigDecimal.class,
                      new JsonSerializer<>() {
                        @Override
                        public void serialize(BigDecimal v, JsonGenerator g, SerializerProvider p)
                            throws IOException {
                          g.writeString(plain(v));
                        }
                      }))
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT);

  /** Prints rows as this format; {@code json} is what JSON output prints. */
  void print(PrintWriter out, List<String> header, List<List<String>> rows, Object json) {
    switch (this) {
      case TABLE -> table(out, header, rows);
      case CSV -> {
        Csv.writeRow(out, header);
        rows.forEach(r -> Csv.writeRow(out, r));
      }
      case JSON -> out.println(json(json));
    }
    out.flush();
  }

  static String json(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void table(PrintWriter out, List<String> header, List<List<String>> rows) {
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
      for (List<String> r : rows) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    line(out, header, widths);
    for (List<String> r : rows) {
      line(out, r, widths);
    }
  }

  private static void line(PrintWriter out, List<String> cells, int[] widths) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        b.append("  ");
      }
      String c = cells.get(i);
      b.append(c).append(" ".repeat(widths[i] - c.length()));
    }
    out.println(b.toString().stripTrailing());
  }

  /** {@link Money#plain} for a table or CSV cell: empty for null. */
  static String plain(BigDecimal v) {
    return v == null ? "" : Money.plain(v);
  }
}
