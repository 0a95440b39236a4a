package dev.costwise.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.costwise.usage.UsageCounts;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The journal's own line writer writes what the journal's reader reads back as the entry it was
 * given, with exactly the fields the object mapper would have written: a worker that dies leaves
 * its next start every figure of the attempts it was running, to the last digit.
 */
class JournalLinesTest {
  /** Text that JSON must escape, and text it must not touch. */
  private static final String ODD = "q\"uote \\ back\nline\ttab\u0000nul\u001f é 日本 🎬 \u2028";

  /** A row with every field set, none at its default. */
  private static StepRow full() {
    return new StepRow(
        "run-" + ODD,
        "act-1",
        3,
        2,
        "ns",
        "wf-" + ODD,
        "Story",
        "Draw",
        "queue",
        "COMPLETED",
        "openai",
        "gpt-4o",
        "gpt-4o-2024-08-06",
        new UsageCounts(
            1, 2, 3, 4, 5, 6, 7, new BigDecimal("8.50"), 9, new BigDecimal("1E-3"), 11, 12, 13, 14),
        "1024x1024",
        "hd",
        true,
        true,
        "reason " + ODD,
        new BigDecimal("0.000123456789012345678901"),
        new BigDecimal("1E-12"),
        new BigDecimal("2.50"),
        new BigDecimal("3"),
        new BigDecimal("4.000"),
        new BigDecimal("5E+2"),
        new BigDecimal("6.1"),
        new BigDecimal("7.2"),
        new BigDecimal("8.3"),
        new BigDecimal("9.4"),
        "{\"team\":\"" + ODD.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}",
        Instant.parse("2026-11-24T10:15:30.123456789Z"),
        Instant.parse("2026-11-24T10:15:31Z"),
        new BigDecimal("10.5"),
        "priority",
        new BigDecimal("11.6"),
        new BigDecimal("12.7"),
        "high",
        new BigDecimal("13.8"),
        new BigDecimal("14.9"),
        new PricedWith("bundled", "2026-07-24", "abc123", "gpt-4o@2024-08-06", "priority"),
        "root",
        "parent",
        "chain",
        new RunLimits(
            new BigDecimal("1.00"),
            new BigDecimal("2.00"),
            List.of(
                new RunLimits.Covering("root", new BigDecimal("5"), new BigDecimal("10.00")),
                new RunLimits.Covering("mid", null, new BigDecimal("7")))));
  }

  /** A row as the earliest lines were: the optional fields absent. */
  private static StepRow sparse() {
    return new StepRow(
        "run",
        "act",
        1,
        0,
        "ns",
        "wf",
        "Story",
        "Draw",
        "q",
        "INTERRUPTED",
        "unknown",
        "m",
        null,
        UsageCounts.ZERO,
        null,
        null,
        false,
        false,
        null,
        BigDecimal.ZERO,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        "{}",
        Instant.EPOCH,
        Instant.EPOCH,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        new PricedWith(null, null, null, null, null),
        null,
        null,
        null,
        null);
  }

  private static List<AttemptJournal.Entry> entries() {
    StepRow full = full();
    return List.of(
        new AttemptJournal.Entry(full, null),
        new AttemptJournal.Entry(sparse(), null),
        new AttemptJournal.Entry(null, AttemptJournal.key(full)),
        new AttemptJournal.Entry(null, null, List.of(full, sparse()), null),
        new AttemptJournal.Entry(
            null,
            null,
            null,
            new AttemptJournal.AsObserved(
                AttemptJournal.key(full), "FAILED", full.recordedAt(), full.tags(), 2)));
  }

  @Test
  void theRowWrittenHereHasEveryFieldOfAStepRowSet() throws Exception {
    // the comparisons below only prove something for fields this row sets: a field added to a
    // step row and left null here would be missed by both writers alike
    assertEveryComponentSet(full());
    assertEveryComponentSet(full().counts());
    assertEveryComponentSet(full().pricedWith());
    assertEveryComponentSet(full().runLimits());
  }

  private static void assertEveryComponentSet(Record r) throws Exception {
    for (RecordComponent c : r.getClass().getRecordComponents()) {
      Object v = c.getAccessor().invoke(r);
      assertThat(v).as("%s.%s", r.getClass().getSimpleName(), c.getName()).isNotNull();
      if (v instanceof Number n && !(v instanceof BigDecimal)) {
        assertThat(n.longValue())
            .as("%s.%s", r.getClass().getSimpleName(), c.getName())
            .isNotZero();
      }
      if (v instanceof Boolean b) {
        assertThat(b).as("%s.%s", r.getClass().getSimpleName(), c.getName()).isTrue();
      }
    }
  }

  @Test
  void eachLineHasTheFieldsTheObjectMapperWouldWrite() throws Exception {
    for (AttemptJournal.Entry e : entries()) {
      JsonNode written = AttemptJournal.JSON.readTree(JournalLines.encode(e));
      JsonNode mapped = AttemptJournal.JSON.readTree(AttemptJournal.JSON.writeValueAsString(e));
      assertThat(written).as("line of %s", e).isEqualTo(mapped);
    }
  }

  @Test
  void instantsAreWrittenAsInstantWritesThem() {
    for (String t :
        List.of(
            "2026-11-24T10:15:30Z",
            "2026-11-24T10:15:30.100Z",
            "2026-11-24T10:15:30.000100Z",
            "2026-11-24T10:15:30.000000001Z",
            "2024-02-29T23:59:59.999999999Z",
            "1969-12-31T23:59:59.5Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "-0001-12-31T23:59:59Z",
            "+10000-01-01T00:00:00Z")) {
      Instant i = Instant.parse(t);
      assertThat(JournalLines.instant(new StringBuilder(), i).toString()).isEqualTo(i.toString());
    }
    java.util.Random random = new java.util.Random(7);
    for (int n = 0; n < 10_000; n++) {
      Instant i =
          Instant.ofEpochSecond(
              random.nextLong(-62_000_000_000L, 253_000_000_000L),
              random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000));
      assertThat(JournalLines.instant(new StringBuilder(), i).toString()).isEqualTo(i.toString());
    }
  }

  @Test
  void eachLineIsOneLineTheJournalReadsBackAsTheEntryExactly() throws Exception {
    for (AttemptJournal.Entry e : entries()) {
      byte[] line = JournalLines.encode(e);
      String text = new String(line, StandardCharsets.UTF_8);
      assertThat(text).endsWith("\n");
      assertThat(text.substring(0, text.length() - 1)).doesNotContain("\n", "\r");
      AttemptJournal.Entry read = AttemptJournal.JSON.readValue(line, AttemptJournal.Entry.class);
      // record equality compares decimals with their scale: 2.50 read back as 2.5 would fail
      assertThat(read).isEqualTo(e);
    }
  }
}
