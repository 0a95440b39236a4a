package dev.costwise.store;

import dev.costwise.usage.UsageCounts;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Writes journal entries as JSON lines without going through the object mapper. A journal line is
 * written for every usage record and every attempt's end, on the activity's own thread; the
 * mapper's reflective walk over a step row's forty-odd fields took about 13% of that thread's CPU
 * in a profile of {@code TrackingOverhead}, these lines about 6%. The lines are what {@link
 * AttemptJournal#JSON} writes (the same fields, null fields left out, instants as ISO-8601 text,
 * decimals exact) and are read back by it.
 */
final class JournalLines {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private JournalLines() {}

  /** The entry as one line of UTF-8 JSON, ending with a newline. */
  static byte[] encode(AttemptJournal.Entry e) {
    StringBuilder b = new StringBuilder(1024);
    Fields f = new Fields(b.append('{'));
    if (e.observed() != null) {
      row(f.name("observed"), e.observed());
    }
    f.text("ended", e.ended());
    if (e.recorded() != null) {
      rows(f.name("recorded"), e.recorded());
    }
    if (e.recordedAsObserved() != null) {
      AttemptJournal.AsObserved a = e.recordedAsObserved();
      Fields o = new Fields(f.name("recordedAsObserved").append('{'));
      o.text("key", a.key());
      o.text("outcome", a.outcome());
      o.instant("recordedAt", a.recordedAt());
      o.text("tags", a.tags());
      o.number("lines", a.lines());
      b.append('}');
    }
    b.append("}\n");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void rows(StringBuilder b, List<StepRow> rows) {
    b.append('[');
    for (int i = 0; i < rows.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      row(b, rows.get(i));
    }
    b.append(']');
  }

  /** Every field of {@link StepRow}, in its order. */
  private static void row(StringBuilder b, StepRow r) {
    if (r == null) {
      b.append("null");
      return;
    }
    Fields f = new Fields(b.append('{'));
    f.text("runId", r.runId());
    f.text("activityId", r.activityId());
    f.number("attempt", r.attempt());
    f.number("lineNo", r.lineNo());
    f.text("namespace", r.namespace());
    f.text("workflowId", r.workflowId());
    f.text("workflowType", r.workflowType());
    f.text("activityType", r.activityType());
    f.text("taskQueue", r.taskQueue());
    f.text("outcome", r.outcome());
    f.text("provider", r.provider());
    f.text("model", r.model());
    f.text("pricedModel", r.pricedModel());
    if (r.counts() != null) {
      counts(f.name("counts"), r.counts());
    }
    f.text("imageSize", r.imageSize());
    f.text("imageQuality", r.imageQuality());
    f.bool("videoWithAudio", r.videoWithAudio());
    f.bool("priced", r.priced());
    f.text("unpricedReason", r.unpricedReason());
    f.decimal("costUsd", r.costUsd());
    f.decimal("inputCost", r.inputCost());
    f.decimal("outputCost", r.outputCost());
    f.decimal("cacheReadCost", r.cacheReadCost());
    f.decimal("cacheWriteCost", r.cacheWriteCost());
    f.decimal("reasoningCost", r.reasoningCost());
    f.decimal("imageCost", r.imageCost());
    f.decimal("videoCost", r.videoCost());
    f.decimal("speechCost", r.speechCost());
    f.decimal("audioCost", r.audioCost());
    f.text("tags", r.tags());
    f.instant("startedAt", r.startedAt());
    f.instant("recordedAt", r.recordedAt());
    f.decimal("cacheWrite1hCost", r.cacheWrite1hCost());
    f.text("serviceTier", r.serviceTier());
    f.decimal("audioInputCost", r.audioInputCost());
    f.decimal("audioOutputCost", r.audioOutputCost());
    f.text("searchContextSize", r.searchContextSize());
    f.decimal("requestCost", r.requestCost());
    f.decimal("webSearchCost", r.webSearchCost());
    if (r.pricedWith() != null) {
      PricedWith p = r.pricedWith();
      Fields w = new Fields(f.name("pricedWith").append('{'));
      w.text("catalogSource", p.catalogSource());
      w.text("catalogAsOf", p.catalogAsOf());
      w.text("catalogHash", p.catalogHash());
      w.text("priceEntry", p.priceEntry());
      w.text("pricedTier", p.pricedTier());
      b.append('}');
    }
    f.text("rootRunId", r.rootRunId());
    f.text("parentRunId", r.parentRunId());
    f.text("chainRunId", r.chainRunId());
    if (r.runLimits() != null) {
      limits(f.name("runLimits"), r.runLimits());
    }
    b.append('}');
  }

  private static void counts(StringBuilder b, UsageCounts k) {
    Fields f = new Fields(b.append('{'));
    f.number("inputTokens", k.inputTokens());
    f.number("outputTokens", k.outputTokens());
    f.number("cacheReadTokens", k.cacheReadTokens());
    f.number("cacheWriteTokens", k.cacheWriteTokens());
    f.number("cacheWrite1hTokens", k.cacheWrite1hTokens());
    f.number("reasoningTokens", k.reasoningTokens());
    f.number("images", k.images());
    f.decimal("videoSeconds", k.videoSeconds());
    f.number("characters", k.characters());
    f.decimal("audioSeconds", k.audioSeconds());
    f.number("audioInputTokens", k.audioInputTokens());
    f.number("audioOutputTokens", k.audioOutputTokens());
    f.number("requests", k.requests());
    f.number("webSearches", k.webSearches());
    b.append('}');
  }

  private static void limits(StringBuilder b, RunLimits l) {
    Fields f = new Fields(b.append('{'));
    f.decimal("softUsd", l.softUsd());
    f.decimal("hardUsd", l.hardUsd());
    f.name("tree").append('[');
    for (int i = 0; i < l.tree().size(); i++) {
      RunLimits.Covering c = l.tree().get(i);
      if (i > 0) {
        b.append(',');
      }
      Fields t = new Fields(b.append('{'));
      t.text("runId", c.runId());
      t.decimal("softUsd", c.softUsd());
      t.decimal("hardUsd", c.hardUsd());
      b.append('}');
    }
    b.append("]}");
  }

  /**
   * {@code t} as {@link Instant#toString} writes it (ISO-8601 in UTC, the fraction in groups of
   * three digits), without the formatter's general machinery: two instants are in every line.
   */
  static StringBuilder instant(StringBuilder b, Instant t) {
    long seconds = t.getEpochSecond();
    long days = Math.floorDiv(seconds, 86_400);
    if (days < MIN_DAY || days > MAX_DAY) {
      return b.append(t); // outside years 0000-9999: the general formatter
    }
    java.time.LocalDate date = java.time.LocalDate.ofEpochDay(days);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400);
    digits(b, date.getYear(), 4).append('-');
    digits(b, date.getMonthValue(), 2).append('-');
    digits(b, date.getDayOfMonth(), 2).append('T');
    digits(b, secondOfDay / 3600, 2).append(':');
    digits(b, secondOfDay / 60 % 60, 2).append(':');
    digits(b, secondOfDay % 60, 2);
    int nano = t.getNano();
    if (nano > 0) {
      b.append('.');
      if (nano % 1_000_000 == 0) {
        digits(b, nano / 1_000_000, 3);
      } else if (nano % 1_000 == 0) {
        digits(b, nano / 1_000, 6);
      } else {
        digits(b, nano, 9);
      }
    }
    return b.append('Z');
  }

  private static final int[] POWERS = {
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000
  };
  private static final long MIN_DAY = java.time.LocalDate.of(0, 1, 1).toEpochDay();
  private static final long MAX_DAY = java.time.LocalDate.of(9999, 12, 31).toEpochDay();

  /** {@code value} (not negative) in exactly {@code width} digits, zeros first. */
  private static StringBuilder digits(StringBuilder b, int value, int width) {
    for (int p = POWERS[width - 1]; p > 0; p /= 10) {
      b.append((char) ('0' + value / p % 10));
    }
    return b;
  }

  /** A JSON string: quotes, backslashes and control characters escaped, the rest as it is. */
  private static void string(StringBuilder b, String s) {
    b.append('"');
    int from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      b.append(s, from, i);
      from = i + 1;
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    b.append(s, from, s.length()).append('"');
  }

  /** The fields of one object, separated by commas; null values are left out. */
  private static final class Fields {
    private final StringBuilder b;
    private boolean more;

    Fields(StringBuilder b) {
      this.b = b;
    }

    StringBuilder name(String name) {
      if (more) {
        b.append(',');
      }
      more = true;
      return b.append('"').append(name).append("\":");
    }

    void text(String name, String value) {
      if (value != null) {
        string(name(name), value);
      }
    }

    void number(String name, long value) {
      name(name).append(value);
    }

    void bool(String name, boolean value) {
      name(name).append(value);
    }

    void decimal(String name, BigDecimal value) {
      if (value != null) {
        name(name).append(value); // exact: the reader keeps every digit and the scale
      }
    }

    void instant(String name, Instant value) {
      if (value != null) {
        JournalLines.instant(name(name).append('"'), value).append('"');
      }
    }
  }
}
