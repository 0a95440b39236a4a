package dev.costwise.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * The daily rollup ({@code cost_rollup_daily}) is kept in step in the same transaction, the same
 * way.
 */
public final class CostStore implements CostRecorder {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Jdbi jdbi;

  /**
   * A store over {@code jdbi}, which must have the SQL Object plugin installed (see {@link #jdbi}).
   */
  public CostStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** A JDBI instance over {@code dataSource} with the plugins this store needs. */
  public static Jdbi jdbi(DataSource dataSource) {
    return Jdbi.create(dataSource)
        .installPlugin(new SqlObjectPlugin())
        .installPlugin(new PostgresPlugin());
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
   * Writes the rows of one attempt (all sharing run, activity and attempt) in one transaction. Used
   * directly when replaying spooled rows.
   */
  public void writeRows(List<StepRow> rows) {
    writeBatch(List.of(rows));
  }

  /**
   * Writes several attempts in one transaction (group commit): a few round trips whatever the batch
   * size. Execution rows are locked in run-id order, so concurrent writers never deadlock; an
   * attempt given twice is written once, as its last version.
   */
  public void writeBatch(List<List<StepRow>> attempts) {
    writeBatch(attempts, false);
  }

  /**
   * Writes the attempts of {@code attempts} that have no rows yet, in one transaction, and returns
   * how many it wrote. Used for attempts recovered after a worker died, which must never replace a
   * record the attempt made itself.
   */
  public int writeIfAbsent(List<List<StepRow>> attempts) {
    return writeBatch(attempts, true);
  }

  /**
   * Stores an attempt PostgreSQL rejected as data: its rows with every text value made storable
   * (amounts unchanged, so totals, rollups and limits count it), and the rows as recorded, byte for
   * byte, in {@code cost_rejected} with the reason, in one transaction.
   */
  void writeRejected(List<StepRow> rows, String reason, byte[] original) {
    List<StepRow> storable = rows.stream().map(StepRow::storable).toList();
    Map<AttemptKey, List<StepRow>> one = new LinkedHashMap<>();
    one.put(AttemptKey.of(storable.get(0)), storable);
    java.math.BigDecimal cost =
        rows.stream()
            .map(StepRow::costUsd)
            .filter(java.util.Objects::nonNull)
            .reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add);
    StepRow first = storable.get(0);
    jdbi.useTransaction(
        handle -> {
          CostDao dao = handle.attach(CostDao.class);
          write(dao, one);
          dao.insertRejected(
              first.runId(),
              first.activityId(),
              first.attempt(),
              cost,
              Text.storable(reason, Text.MAX_REASON),
              original);
        });
  }

  /** Whether the database answers a trivial query. */
  public boolean ping() {
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Attempts PostgreSQL rejected as data, newest first, at most {@code limit}. */
  public List<RejectedAttempt> rejected(int limit) {
    return jdbi.withExtension(CostDao.class, dao -> dao.rejected(limit));
  }

  /** How many rejected attempts nobody has resolved yet. */
  public long unresolvedRejected() {
    return jdbi.withExtension(CostDao.class, CostDao::unresolvedRejected);
  }

  /** Marks rejected attempts resolved ({@code ids}, or every one when empty); returns how many. */
  public int resolveRejected(long... ids) {
    return jdbi.withExtension(CostDao.class, dao -> dao.resolveRejected(ids.length == 0, ids));
  }

  private int writeBatch(List<List<StepRow>> attempts, boolean onlyAbsent) {
    Map<AttemptKey, List<StepRow>> latest = new LinkedHashMap<>();
    for (List<StepRow> rows : attempts) {
      if (!rows.isEmpty()) {
        latest.put(AttemptKey.of(rows.get(0)), rows);
      }
    }
    if (latest.isEmpty()) {
      return 0;
    }
    try {
      return jdbi.inTransaction(
          handle -> {
            CostDao dao = handle.attach(CostDao.class);
            if (onlyAbsent) {
              latest.keySet().removeAll(present(dao, latest.keySet()));
              if (latest.isEmpty()) {
                return 0;
              }
            }
            write(dao, latest);
            return latest.size();
          });
    } catch (RuntimeException e) {
      AttemptKey first = latest.keySet().iterator().next();
      String what =
          latest.size() == 1
              ? "run "
                  + first.runId()
                  + " activity "
                  + first.activityId()
                  + " attempt "
                  + first.attempt()
              : latest.size() + " attempts (first: run " + first.runId() + ")";
      throw new CostStoreException("Could not store cost of " + what + ": " + e.getMessage(), e);
    }
  }

  private static java.util.Set<AttemptKey> present(CostDao dao, java.util.Set<AttemptKey> keys) {
    int n = keys.size();
    String[] runIds = new String[n];
    String[] activityIds = new String[n];
    int[] numbers = new int[n];
    int i = 0;
    for (AttemptKey k : keys) {
      runIds[i] = k.runId();
      activityIds[i] = k.activityId();
      numbers[i++] = k.attempt();
    }
    java.util.Set<AttemptKey> found = new java.util.HashSet<>();
    dao.linesOfAttempts(runIds, activityIds, numbers).forEach(r -> found.add(AttemptKey.of(r)));
    return found;
  }

  private static void write(CostDao dao, Map<AttemptKey, List<StepRow>> attempts) {
    TreeMap<String, StepRow> runs = new TreeMap<>();
    attempts.values().forEach(rows -> runs.putIfAbsent(rows.get(0).runId(), rows.get(0)));
    dao.lockExecutions(List.copyOf(runs.values()));

    int n = attempts.size();
    String[] runIds = new String[n];
    String[] activityIds = new String[n];
    int[] numbers = new int[n];
    int i = 0;
    for (AttemptKey k : attempts.keySet()) {
      runIds[i] = k.runId();
      activityIds[i] = k.activityId();
      numbers[i++] = k.attempt();
    }
    Map<AttemptKey, List<StepRow>> before = new HashMap<>();
    for (StepRow old : dao.linesOfAttempts(runIds, activityIds, numbers)) {
      before.computeIfAbsent(AttemptKey.of(old), k -> new ArrayList<>()).add(old);
    }

    Map<String, TotalsDelta> deltas = new TreeMap<>();
    Map<RollupKey, TotalsDelta> rollup = new TreeMap<>(RollupKey.ORDER);
    List<StepRow> upserts = new ArrayList<>();
    for (Map.Entry<AttemptKey, List<StepRow>> e : attempts.entrySet()) {
      AttemptKey k = e.getKey();
      List<StepRow> rows = e.getValue();
      List<StepRow> old = before.getOrDefault(k, List.of());
      if (old.size() > rows.size()) {
        dao.deleteLinesFrom(k.runId(), k.activityId(), k.attempt(), rows.size());
      }
      upserts.addAll(rows);
      deltas.merge(k.runId(), TotalsDelta.of(rows).minus(TotalsDelta.of(old)), TotalsDelta::plus);
      rows.forEach(
          r -> rollup.merge(RollupKey.of(r), TotalsDelta.of(List.of(r)), TotalsDelta::plus));
      old.forEach(
          r ->
              rollup.merge(
                  RollupKey.of(r),
                  TotalsDelta.ZERO.minus(TotalsDelta.of(List.of(r))),
                  TotalsDelta::plus));
    }
    dao.upsertLines(upserts);
    dao.addToExecutions(List.copyOf(deltas.keySet()), List.copyOf(deltas.values()));
    rollup.values().removeIf(TotalsDelta::isZero);
    if (!rollup.isEmpty()) {
      dao.addToRollup(List.copyOf(rollup.keySet()), List.copyOf(rollup.values()));
    }
  }

  /** Identifies one activity attempt. */
  private record AttemptKey(String runId, String activityId, int attempt) {
    static AttemptKey of(StepRow r) {
      return new AttemptKey(r.runId(), r.activityId(), r.attempt());
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
