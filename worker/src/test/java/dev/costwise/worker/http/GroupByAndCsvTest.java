package dev.costwise.worker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class GroupByAndCsvTest {

  @Test
  void groupByAcceptsTheFixedColumnsAndPlainTagNamesOnly() {
    assertThat(GroupBy.parse("model").sql()).isEqualTo("COALESCE(priced_model, model)");
    assertThat(GroupBy.parse("workflow-type").name()).isEqualTo("workflow_type");
    assertThat(GroupBy.parse(null).name()).isEqualTo("none");
    assertThat(GroupBy.parse("tag:tenant").sql())
        .isEqualTo("COALESCE(tags ->> 'tenant', '(none)')");
    assertThatThrownBy(() -> GroupBy.parse("tag:x'); DROP TABLE cost_step; --"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be letters, digits");
    assertThatThrownBy(() -> GroupBy.parse("run_id"))
        .hasMessageContaining("is not one of none, model, provider");
  }

  @Test
  void csvFieldsAreQuotedOnlyWhenNeededAndMoneyStaysExact() {
    assertThat(StepsCsv.field(null)).isEmpty();
    assertThat(StepsCsv.field("gpt-4o")).isEqualTo("gpt-4o");
    assertThat(StepsCsv.field("{\"tenant\": \"acme, inc\"}"))
        .isEqualTo("\"{\"\"tenant\"\": \"\"acme, inc\"\"}\"");
    assertThat(StepsCsv.field("two\nlines")).isEqualTo("\"two\nlines\"");
    assertThat(StepsCsv.field(new BigDecimal("0.000012500000000000"))).isEqualTo("0.0000125");
    assertThat(StepsCsv.field(new BigDecimal("1E+1"))).isEqualTo("10");
  }
}
