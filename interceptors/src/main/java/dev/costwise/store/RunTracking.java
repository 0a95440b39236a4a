package dev.costwise.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one write changes about its runs beyond their totals, decided from the execution rows as
 * {@link CostDao#lockExecutions} found them: the tags to merge (only where they change), the rank
 * rows to create (new runs) or move (a run whose tenant tag changed), and the run-count deltas per
 * UTC day of first record, workflow type, task queue and tenant, summed per key. A run counts once,
 * on the day of its first record, which never changes; a change of its tenant moves it from one key
 * to another.
 */
record RunTracking(List<String[]> retag, List<Ranked> rank, Map<RunKey, Long> counts) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A run's {@code cost_run_rank} row as created or moved (its cost is kept by the batch). */
  record Ranked(
      String runId,
      java.time.Instant firstRecordedAt,
      String workflowType,
      String taskQueue,
      String tenant) {}

  /** One {@code cost_runs_daily_shard} key. */
  record RunKey(LocalDate day, String workflowType, String taskQueue, String tenant) {
    static final Comparator<RunKey> ORDER =
        Comparator.comparing(RunKey::day)
            .thenComparing(RunKey::workflowType)
            .thenComparing(RunKey::taskQueue)
            .thenComparing(RunKey::tenant);

    static RunKey of(CostDao.LockedRun run, String tenant) {
      return new RunKey(
          LocalDate.ofInstant(run.firstRecordedAt(), ZoneOffset.UTC),
          run.workflowType(),
          run.taskQueue(),
          tenant);
    }
  }

  /**
   * What to change for {@code locked}, given the tags JSON each run's write carries ({@code
   * incoming}, by run id).
   */
  static RunTracking of(List<CostDao.LockedRun> locked, Map<String, String> incoming) {
    List<String[]> retag = new ArrayList<>();
    List<Ranked> rank = new ArrayList<>();
    Map<RunKey, Long> counts = new TreeMap<>(RunKey.ORDER);
    for (CostDao.LockedRun run : locked) {
      ObjectNode before = parse(run.tags());
      String added = incoming.get(run.runId());
      ObjectNode after = before;
      if (added != null && !added.equals("{}")) {
        after = before.deepCopy();
        after.setAll(parse(added));
      }
      String oldTenant = tenant(before);
      String newTenant = tenant(after);
      if (run.created()) {
        counts.merge(RunKey.of(run, newTenant), 1L, Long::sum);
        rank.add(withTenant(run, newTenant));
      } else if (!oldTenant.equals(newTenant)) {
        counts.merge(RunKey.of(run, oldTenant), -1L, Long::sum);
        counts.merge(RunKey.of(run, newTenant), 1L, Long::sum);
        rank.add(withTenant(run, newTenant));
      }
      if (!after.equals(before)) {
        retag.add(new String[] {run.runId(), added});
      }
    }
    counts.values().removeIf(n -> n == 0);
    return new RunTracking(retag, rank, counts);
  }

  /** Applies the changes in one statement, or none when there are none. */
  void apply(CostDao dao, short shard) {
    if (retag.isEmpty() && rank.isEmpty() && counts.isEmpty()) {
      return;
    }
    int k = counts.size();
    String[] days = new String[k];
    String[] types = new String[k];
    String[] queues = new String[k];
    String[] tenants = new String[k];
    long[] runs = new long[k];
    int i = 0;
    for (Map.Entry<RunKey, Long> e : counts.entrySet()) {
      days[i] = e.getKey().day().toString();
      types[i] = e.getKey().workflowType();
      queues[i] = e.getKey().taskQueue();
      tenants[i] = e.getKey().tenant();
      runs[i++] = e.getValue();
    }
    dao.trackRuns(
        retag.stream().map(r -> r[0]).toArray(String[]::new),
        retag.stream().map(r -> r[1]).toArray(String[]::new),
        rank.stream().map(Ranked::runId).toArray(String[]::new),
        rank.stream().map(r -> StepColumns.timestamp(r.firstRecordedAt())).toArray(String[]::new),
        rank.stream().map(Ranked::workflowType).toArray(String[]::new),
        rank.stream().map(Ranked::taskQueue).toArray(String[]::new),
        rank.stream().map(Ranked::tenant).toArray(String[]::new),
        days,
        types,
        queues,
        tenants,
        runs,
        shard);
  }

  private static Ranked withTenant(CostDao.LockedRun run, String tenant) {
    return new Ranked(
        run.runId(), run.firstRecordedAt(), run.workflowType(), run.taskQueue(), tenant);
  }

  /** The tenant as {@code tags ->> 'tenant'} reads it, {@code ""} when absent or null. */
  private static String tenant(ObjectNode tags) {
    JsonNode v = tags.get(RollupKey.TENANT_TAG);
    if (v == null || v.isNull()) {
      return "";
    }
    return v.isTextual() ? v.asText() : v.toString();
  }

  private static ObjectNode parse(String json) {
    if (json == null || json.isEmpty()) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode n = JSON.readTree(json);
      return n instanceof ObjectNode o ? o : JSON.createObjectNode();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("tags of a run are not a JSON object: " + bounded(json), e);
    }
  }

  private static String bounded(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
