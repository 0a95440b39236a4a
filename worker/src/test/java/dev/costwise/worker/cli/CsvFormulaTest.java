package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.store.CostStore;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI's CSV output, parsed back: text a spreadsheet would run as a formula (a model, a tenant)
 * comes out with a leading single quote; numbers, negative ones included, stay numbers.
 */
class CsvFormulaTest {
  private static final String MODEL = "=HYPERLINK(\"http://example.invalid\",\"click\")";
  private static final String TENANT = "@SUM(1+1)*cmd|' /C calc'!A0";
  private static String url;

  @BeforeAll
  static void seed() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    url =
        TestDatabase.jdbcUrl(
            jdbi.withHandle(
                h -> h.createQuery("SELECT current_database()").mapTo(String.class).one()));
    new CostStore(jdbi)
        .record(
            ReportCommandTest.attempt(
                "run-formula",
                TENANT,
                "2026-11-01T10:00:00Z",
                Usage.of("-acme", MODEL).inputTokens(10).build()));
  }

  @Test
  void reportStepsNeutralisesFormulaCells() {
    ExitCodesTest.Result r =
        ExitCodesTest.run(
            "report", "steps", "--from", "2026-11-01", "--to", "2026-11-02", "--database-url", url);
    assertThat(r.status()).as(r.err()).isZero();
    List<List<String>> rows = ReportCommandTest.parseCsv(r.out());
    List<String> header = rows.get(0);
    List<String> line = rows.get(1);
    assertThat(line.get(header.indexOf("model"))).isEqualTo("'" + MODEL);
    assertThat(line.get(header.indexOf("tenant"))).isEqualTo("'" + TENANT);
    assertThat(line.get(header.indexOf("provider"))).isEqualTo("'-acme");
    assertNoFormulas(rows);
  }

  @Test
  void reportTotalsAsCsvNeutralisesFormulaGroups() {
    ExitCodesTest.Result r =
        ExitCodesTest.run(
            "report",
            "totals",
            "--group-by",
            "tenant",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-02",
            "--format",
            "csv",
            "--database-url",
            url);
    assertThat(r.status()).as(r.err()).isZero();
    List<List<String>> rows = ReportCommandTest.parseCsv(r.out());
    assertThat(rows.get(1).get(1)).isEqualTo("'" + TENANT);
    assertNoFormulas(rows);
  }

  private static void assertNoFormulas(List<List<String>> rows) {
    for (List<String> row : rows) {
      for (String cell : row) {
        boolean risky = !cell.isEmpty() && "=+-@\t\r".indexOf(cell.charAt(0)) >= 0;
        assertThat(!risky || isNumber(cell)).as(cell).isTrue();
      }
    }
  }

  private static boolean isNumber(String s) {
    try {
      new BigDecimal(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
