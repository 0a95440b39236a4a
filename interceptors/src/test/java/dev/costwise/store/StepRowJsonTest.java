package dev.costwise.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Step rows as journal and spool files hold them: the current shape and the older flat one. */
class StepRowJsonTest {

  private static StepRow row() {
    Usage u =
        Usage.of("anthropic", "claude-sonnet-4-5")
            .inputTokens(1_200)
            .outputTokens(300)
            .cacheReadTokens(40)
            .cacheWriteTokens(50)
            .cacheWrite1hTokens(60)
            .reasoningTokens(70)
            .build();
    return StepRow.of(
        Attempts.attempt("run-json", "1", 1, Outcome.COMPLETED, u), 0, "{\"tenant\":\"acme\"}");
  }

  private static void assertSameRow(StepRow actual, StepRow expected) {
    assertThat(actual)
        .usingRecursiveComparison()
        .withComparatorForType(BigDecimal::compareTo, BigDecimal.class)
        .isEqualTo(expected);
  }

  @Test
  void aRowSurvivesTheJournalFormat() throws Exception {
    StepRow row = row();
    String json = AttemptJournal.JSON.writeValueAsString(row);
    assertSameRow(AttemptJournal.JSON.readValue(json, StepRow.class), row);
  }

  @Test
  void aRowWrittenInTheOlderFlatShapeIsReadWithItsAmounts() throws Exception {
    StepRow row = row();
    ObjectNode flat = (ObjectNode) AttemptJournal.JSON.valueToTree(row);
    JsonNode counts = flat.remove("counts");
    for (Iterator<Map.Entry<String, JsonNode>> it = counts.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      flat.set(e.getKey(), e.getValue());
    }
    assertThat(flat.has("cacheWrite1hTokens")).isTrue();
    StepRow read = AttemptJournal.JSON.treeToValue(flat, StepRow.class);
    assertThat(read.counts()).isEqualTo(row.counts());
    assertThat(read.counts().cacheWrite1hTokens()).isEqualTo(60);
    assertSameRow(read, row);
  }

  @Test
  void amountsKeepEveryDigitThroughTheJournal() throws Exception {
    ObjectNode json = (ObjectNode) AttemptJournal.JSON.valueToTree(row());
    json.put("costUsd", new BigDecimal("123456.789012345678901234"));
    ((ObjectNode) json.get("counts"))
        .put("videoSeconds", new BigDecimal("0.100000000000000000001"));

    StepRow read = AttemptJournal.JSON.readValue(json.toString(), StepRow.class);

    assertThat(read.costUsd()).isEqualByComparingTo("123456.789012345678901234");
    assertThat(read.counts().videoSeconds()).isEqualByComparingTo("0.100000000000000000001");
  }
}
