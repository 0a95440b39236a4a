package dev.costwise.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** The one group-by vocabulary the CLI and the HTTP API share, and CSV fields. */
class GroupByAndCsvTest {

  @Test
  void groupByAcceptsTheFixedColumnsAndPlainTagNamesOnly() {
    assertThat(GroupBy.parse("model").stepSql()).isEqualTo("COALESCE(priced_model, model)");
    assertThat(GroupBy.parse("workflow-type").key()).isEqualTo("workflow_type");
    assertThat(GroupBy.parse(null).key()).isEqualTo("none");
    assertThat(GroupBy.parse("tag:tenant").stepSql())
        .isEqualTo("COALESCE(tags ->> 'tenant', '(none)')");
    assertThatThrownBy(() -> GroupBy.parse("tag:x'); DROP TABLE cost_step; --"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be letters, digits");
    assertThatThrownBy(() -> GroupBy.parse("run_id"))
        .hasMessageContaining("Unknown grouping 'run_id'; use one of none, model, provider");
  }

  @Test
  void bothSpellingsOfEveryDimensionParseToTheSameGrouping() {
    for (Dimension d : Dimension.values()) {
      GroupBy expected = GroupBy.of(d);
      assertThat(GroupBy.parse(d.label())).as(d.label()).isEqualTo(expected);
      assertThat(GroupBy.parse(d.key())).as(d.key()).isEqualTo(expected);
      assertThat(GroupBy.parse(" " + d.name() + " ")).as(d.name()).isEqualTo(expected);
    }
    assertThat(GroupBy.parse("workflow_type")).isEqualTo(GroupBy.parse("workflow-type"));
    assertThat(GroupBy.parse("workflow-type").label()).isEqualTo("workflow-type");
    assertThat(GroupBy.parse("tag:team")).isEqualTo(GroupBy.tag("team"));
    assertThat(GroupBy.parse("tag:team").label()).isEqualTo("tag:team");
    assertThat(GroupBy.parse("namespace").dimension()).contains(Dimension.NAMESPACE);
  }

  @Test
  void aBadGroupingGetsTheOneMessageListingEveryChoice() {
    String message =
        "Unknown grouping 'colour'; use one of none, model, provider, workflow-type,"
            + " activity-type, task-queue, namespace, root-run, tenant, tag:NAME";
    assertThatThrownBy(() -> GroupBy.parse("colour")).hasMessage(message);
    assertThat(GroupBy.CHOICES)
        .isEqualTo(
            "none, model, provider, workflow-type, activity-type, task-queue, namespace, root-run,"
                + " tenant, tag:NAME");
    assertThatThrownBy(() -> GroupBy.parse("x".repeat(200)))
        .hasMessageContaining("... (200 characters)")
        .hasMessageNotContaining("x".repeat(81));
  }

  @Test
  void theRollupIsReadOnlyForGroupingsItKeeps() {
    assertThat(GroupBy.parse("tenant").rollup()).contains(Dimension.TENANT);
    assertThat(GroupBy.parse("tag:tenant").rollup()).contains(Dimension.TENANT);
    assertThat(GroupBy.parse("none").rollup()).contains(Dimension.NONE);
    assertThat(GroupBy.parse("namespace").rollup()).isEmpty();
    assertThat(GroupBy.parse("tag:team").rollup()).isEmpty();
  }

  @Test
  void csvFieldsAreQuotedOnlyWhenNeededAndMoneyStaysExact() {
    assertThat(Csv.field(null)).isEmpty();
    assertThat(Csv.field("gpt-4o")).isEqualTo("gpt-4o");
    assertThat(Csv.field("{\"tenant\": \"acme, inc\"}"))
        .isEqualTo("\"{\"\"tenant\"\": \"\"acme, inc\"\"}\"");
    assertThat(Csv.field("two\nlines")).isEqualTo("\"two\nlines\"");
    assertThat(Csv.field(new BigDecimal("0.000012500000000000"))).isEqualTo("0.0000125");
    assertThat(Csv.field(new BigDecimal("1E+1"))).isEqualTo("10");
  }
}
