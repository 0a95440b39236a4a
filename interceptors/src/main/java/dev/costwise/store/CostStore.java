package dev.costwise.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/**
 * Persists priced attempts to PostgreSQL through JDBI: each attempt's lines and its execution's
 * running totals in one transaction. The execution row is locked first, so concurrent attempts of
 * one run serialize and totals never drift; rewriting an attempt subtracts what it added before.
 */
public final class CostStore implements CostRecorder {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Jdbi jdbi;

  /** A store over {@code jdbi}, which must have the SQL Object plugin installed (see {@link #jdbi}). */
  public CostStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** A JDBI instance over {@code dataSource} with the plugins this store needs. */
  public static Jdbi jdbi(DataSource dataSource) {
    return Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin());
  }

  /** The JDBI instance, for other parts of the product that share the schema. */
  public Jdbi jdbi() {
    return jdbi;
  }

  @Override
  public void record(AttemptCost attempt) {
    if (attempt.lines().isEmpty()) {
      return;
    }
    writeRows(rows(attempt));
  }

  /**
   * Writes the rows of one attempt (all sharing run, activity and attempt) in one transaction.
   * Used directly when replaying spooled rows.
   */
  public void writeRows(List<StepRow> rows) {
    if (rows.isEmpty()) {
      return;
    }
    StepRow c = rows.get(0);
    try {
      jdbi.useTransaction(
          handle -> {
            CostDao dao = handle.attach(CostDao.class);
            dao.lockExecution(c);
            List<StepRow> before = dao.attemptLines(c.runId(), c.activityId(), c.attempt());
            if (before.size() > rows.size()) {
              dao.deleteLinesFrom(c.runId(), c.activityId(), c.attempt(), rows.size());
            }
            dao.upsertLines(rows);
            dao.addToExecution(c.runId(), TotalsDelta.of(rows).minus(TotalsDelta.of(before)));
          });
    } catch (RuntimeException e) {
      throw new CostStoreException(
          "Could not store cost of run " + c.runId() + " activity " + c.activityId() + " attempt "
              + c.attempt() + ": " + e.getMessage(), e);
    }
  }

  /** One execution's totals, if anything was recorded for it. */
  public Optional<ExecutionTotals> execution(String runId) {
    return jdbi.withExtension(CostDao.class, dao -> dao.execution(runId));
  }

  /** Every line recorded for a run. */
  public List<StepRow> steps(String runId) {
    return jdbi.withExtension(CostDao.class, dao -> dao.steps(runId));
  }

  /** The rows an attempt is stored as, one per usage record. */
  public static List<StepRow> rows(AttemptCost attempt) {
    String tags = tagsJson(attempt.tags());
    List<StepRow> rows = new ArrayList<>(attempt.lines().size());
    for (int i = 0; i < attempt.lines().size(); i++) {
      rows.add(StepRow.of(attempt, i, tags));
    }
    return rows;
  }

  static String tagsJson(Map<String, String> tags) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(tags));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("tags cannot be written as JSON", e);
    }
  }
}
