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
 * The daily rollup is kept in step in the same transaction, the same way, in shards: each
 * transaction adds to the rows of a shard no other transaction of this store holds at the time, so
 * concurrent writers never wait for each other's rollup rows ({@code cost_rollup_daily} is the view
 * that sums them).
 */
public final class CostStore implements CostRecorder {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Rollup shards; a store starts at a random one, so that workers mostly use different ones. */
  static final int ROLLUP_SHARDS = 16;

  private final Jdbi jdbi;
  private final StepPartitions partitions;
  private final java.util.concurrent.ConcurrentLinkedDeque<Short> freeShards =
      new java.util.concurrent.ConcurrentLinkedDeque<>();

  /**
   * A store over {@code jdbi}, which must have the SQL Object plugin installed (see {@link #jdbi}).
   */
  public CostStore(Jdbi jdbi) {
    this(jdbi, java.util.concurrent.ThreadLocalRandom.current().nextInt(ROLLUP_SHARDS));
  }

  /** A store whose first transaction adds to rollup shard {@code first}. */
  CostStore(Jdbi jdbi, int first) {
    if (first < 0 || first >= ROLLUP_SHARDS) {
      throw new IllegalArgumentException("a rollup shard is from 0 to " + (ROLLUP_SHARDS - 1));
    }
    this.jdbi = jdbi;
    warmSqlObjects(jdbi, CostDao.class);
    this.partitions = new StepPartitions(jdbi);
    for (int i = 0; i < ROLLUP_SHARDS; i++) {
      freeShards.addLast((short) ((first + i) % ROLLUP_SHARDS));
    }
  }

  /** The monthly partitions of {@code cost_step}. */
  public StepPartitions partitions() {
    return partitions;
  }

  /** A JDBI instance over {@code dataSource} with the plugins this store needs. */
  public static Jdbi jdbi(DataSource dataSource) {
    return Jdbi.create(dataSource)
        .installPlugin(new SqlObjectPlugin())
        .installPlugin(new PostgresPlugin());
  }

  /**
   * Builds the SQL-object metadata of {@code types} in {@code jdbi}'s own configuration. Every
   * handle starts from a copy of it, so a type attached to handles (once per transaction) is then
   * described once, not again for every handle.
   */
  public static void warmSqlObjects(Jdbi jdbi, Class<?>... types) {
    org.jdbi.v3.core.extension.Extensions extensions =
        jdbi.getConfig(org.jdbi.v3.core.extension.Extensions.class);
    extensions
        .findFactory(org.jdbi.v3.sqlobject.SqlObjectFactory.class)
        .ifPresent(
            factory -> {
              for (Class<?> type : types) {
                extensions.findMetadata(type, factory);
              }
            });
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
    ensurePartitions(one.values());
    inTransactionOnShard(
        (handle, shard) -> {
          CostDao dao = handle.attach(CostDao.class);
          write(dao, one, shard);
          dao.insertRejected(
              first.runId(),
              first.activityId(),
              first.attempt(),
              cost,
              Text.storable(reason, Text.MAX_REASON),
              original);
          return null;
        });
  }

  /**
   * Runs {@code work} in a transaction with a rollup shard no other transaction of this store holds
   * meanwhile (the most recently freed, so a lone writer keeps using one shard).
   */
  private <T> T inTransactionOnShard(
      java.util.function.BiFunction<org.jdbi.v3.core.Handle, Short, T> work) {
    Short shard = freeShards.pollFirst();
    if (shard == null) { // more concurrent transactions than shards: share one
      shard = (short) java.util.concurrent.ThreadLocalRandom.current().nextInt(ROLLUP_SHARDS);
    }
    try {
      short held = shard;
      return jdbi.inTransaction(
          handle -> {
            BinaryArrays.register(handle);
            return work.apply(handle, held);
          });
    } finally {
      freeShards.offerFirst(shard);
    }
  }

  /**
   * Folds the rollup shards of the UTC days before {@code before} into one row per key, so that
   * reports over closed days read as few rows as an unsharded rollup; returns the shard rows
   * folded. Safe while writers run (a late line of a folded day goes to its writer's shard again).
   */
  public int foldRollupShards(java.time.LocalDate before) {
    return jdbi.inTransaction(h -> h.attach(CostDao.class).foldRollupShards(before));
  }

  /** What a reprice decided for one page: attempts to rewrite and the lines that changed. */
  record Corrections(List<List<StepRow>> attempts, List<StepRow> before, List<StepRow> after) {}

  /**
   * Reprices one page of attempts in one transaction: when {@code apply}, locks the executions of
   * their runs first, in run-id order as every writer does, so the lines {@code reprice} is given
   * are the ones stored and no worker can rewrite them before the corrections commit (a rewrite
   * waits and then applies on top of them); then rewrites the attempts {@code reprice} changed and
   * logs every changed line with its old and new figures. Lines, execution totals, daily rollups
   * and the correction log stay in step. A dry run only reads.
   */
  void reprice(
      List<RepriceDao.AttemptRef> page,
      java.util.function.Function<List<StepRow>, Corrections> reprice,
      boolean apply) {
    if (!apply) {
      reprice.apply(linesOf(page));
      return;
    }
    String[] runs =
        page.stream().map(RepriceDao.AttemptRef::runId).distinct().toArray(String[]::new);
    inTransactionOnShard(
        (handle, shard) -> {
          handle.attach(RepriceDao.class).lockExecutions(runs);
          Corrections c = reprice.apply(linesOf(handle.attach(CostDao.class), page));
          if (c.attempts().isEmpty()) {
            return null;
          }
          Map<AttemptKey, List<StepRow>> byAttempt = new LinkedHashMap<>();
          for (List<StepRow> rows : c.attempts()) {
            byAttempt.put(AttemptKey.of(rows.get(0)), rows);
          }
          write(handle.attach(CostDao.class), byAttempt, shard);
          handle
              .attach(RepriceDao.class)
              .logCorrections(
                  c.before(),
                  c.before().stream().map(StepRow::pricedWith).map(CostStore::orNone).toList(),
                  c.after(),
                  c.after().stream().map(StepRow::pricedWith).map(CostStore::orNone).toList());
          return null;
        });
  }

  /**
   * Writes {@code attempts} through the store's write path inside a transaction the caller holds
   * (for tests that interleave a rewrite with another transaction).
   */
  static void writeInTransaction(org.jdbi.v3.core.Handle handle, List<List<StepRow>> attempts) {
    Map<AttemptKey, List<StepRow>> byAttempt = new LinkedHashMap<>();
    for (List<StepRow> rows : attempts) {
      byAttempt.put(AttemptKey.of(rows.get(0)), rows);
    }
    write(handle.attach(CostDao.class), byAttempt, (short) 0);
  }

  private static PricedWith orNone(PricedWith w) {
    return w == null ? new PricedWith(null, null, null, null, null) : w;
  }

  /** Lines of the given attempts, read in one statement. */
  List<StepRow> linesOf(List<RepriceDao.AttemptRef> attempts) {
    return jdbi.withExtension(CostDao.class, dao -> linesOf(dao, attempts));
  }

  private static List<StepRow> linesOf(CostDao dao, List<RepriceDao.AttemptRef> attempts) {
    java.util.Set<AttemptKey> keys = new java.util.LinkedHashSet<>();
    for (RepriceDao.AttemptRef a : attempts) {
      keys.add(new AttemptKey(a.runId(), a.activityId(), a.attempt(), a.startedAt()));
    }
    Map<AttemptKey, List<StepRow>> found = stored(dao, keys);
    List<StepRow> lines = new ArrayList<>();
    for (AttemptKey k : keys) { // in the page's order, each attempt's lines in line order
      lines.addAll(found.getOrDefault(k, List.of()));
    }
    return lines;
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
      ensurePartitions(latest.values());
      try {
        return writeOnce(latest, onlyAbsent);
      } catch (RuntimeException e) {
        if (!missingPartition(e)) {
          throw e;
        }
        // a partition this store had seen was dropped (retention): create it again, once
        partitions.forget();
        ensurePartitions(latest.values());
        return writeOnce(latest, onlyAbsent);
      }
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

  private int writeOnce(Map<AttemptKey, List<StepRow>> latest, boolean onlyAbsent) {
    return inTransactionOnShard(
        (handle, shard) -> {
          CostDao dao = handle.attach(CostDao.class);
          if (onlyAbsent) {
            latest.keySet().removeAll(present(dao, latest.keySet()));
            if (latest.isEmpty()) {
              return 0;
            }
          }
          write(dao, latest, shard);
          return latest.size();
        });
  }

  private void ensurePartitions(java.util.Collection<List<StepRow>> attempts) {
    java.util.Set<java.time.YearMonth> months = new java.util.HashSet<>();
    for (List<StepRow> rows : attempts) {
      for (StepRow r : rows) {
        months.add(StepPartitions.monthOf(r.startedAt()));
      }
    }
    partitions.ensure(months);
  }

  private static boolean missingPartition(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException s
          && "23514".equals(s.getSQLState())
          && String.valueOf(s.getMessage()).contains("no partition of relation")) {
        return true;
      }
    }
    return false;
  }

  private static java.util.Set<AttemptKey> present(CostDao dao, java.util.Set<AttemptKey> keys) {
    return stored(dao, keys).keySet();
  }

  /**
   * Writes a batch of distinct attempts in three statements whatever its size: lock (or create) the
   * executions in run-id order; read the lines already stored (a new statement, so it sees every
   * line committed before the locks were granted); then one statement that deletes lines a rewrite
   * no longer has, upserts every line and adds the deltas, summed per run and per rollup key within
   * the batch, to the totals and the daily rollup's {@code shard} (keys in a fixed order, so
   * writers never deadlock).
   */
  private static void write(CostDao dao, Map<AttemptKey, List<StepRow>> attempts, short shard) {
    TreeMap<String, StepRow> runs = new TreeMap<>();
    // each run's earliest and latest record in the batch: a new run starts at the earliest, and a
    // run's last record moves on to the latest
    Map<String, java.time.Instant> firstRecorded = new HashMap<>();
    Map<String, java.time.Instant> lastRecorded = new HashMap<>();
    for (List<StepRow> rows : attempts.values()) {
      runs.putIfAbsent(rows.get(0).runId(), rows.get(0));
      for (StepRow row : rows) {
        firstRecorded.merge(row.runId(), row.recordedAt(), (a, b) -> a.isBefore(b) ? a : b);
        lastRecorded.merge(row.runId(), row.recordedAt(), (a, b) -> a.isAfter(b) ? a : b);
      }
    }
    lockExecutions(
        dao,
        shard,
        runs.values().stream()
            .map(
                first ->
                    new ExecutionRow(
                        first.runId(),
                        first.namespace(),
                        first.workflowId(),
                        first.workflowType(),
                        first.taskQueue(),
                        first.tags(),
                        firstRecorded.get(first.runId()),
                        first.parentRunId(),
                        first.rootRunId(),
                        first.chainRunId(),
                        first.runLimits()))
            .toList());

    Map<AttemptKey, List<StepRow>> before = stored(dao, attempts.keySet());

    Map<String, TotalsDelta> deltas = new TreeMap<>();
    Map<RollupKey, TotalsDelta> rollup = new TreeMap<>(RollupKey.ORDER);
    List<StepRow> upserts = new ArrayList<>();
    List<AttemptKey> trims = new ArrayList<>();
    List<Integer> trimFrom = new ArrayList<>();
    Map<String, String> tenants = new HashMap<>(); // tags JSON parsed once per batch, not per line
    for (Map.Entry<AttemptKey, List<StepRow>> e : attempts.entrySet()) {
      AttemptKey k = e.getKey();
      List<StepRow> rows = e.getValue();
      // the lines stored under the attempt's start time, which all its lines share: the same key
      // stored under another start time is not this attempt's write but another execution's
      // (which keeps its lines and cost)
      List<StepRow> old = before.getOrDefault(k, List.of());
      if (old.size() > rows.size()) {
        trims.add(k); // lines from rows.size() on, under the key's start time, go
        trimFrom.add(rows.size());
      }
      upserts.addAll(rows);
      deltas.merge(k.runId(), TotalsDelta.of(rows).minus(TotalsDelta.of(old)), TotalsDelta::plus);
      rows.forEach(
          row ->
              rollup.merge(
                  RollupKey.of(row, tenants), TotalsDelta.of(List.of(row)), TotalsDelta::plus));
      old.forEach(
          row ->
              rollup.merge(
                  RollupKey.of(row, tenants),
                  TotalsDelta.ZERO.minus(TotalsDelta.of(List.of(row))),
                  TotalsDelta::plus));
    }
    KeyColumns trimmed = KeyColumns.of(trims);
    int[] trimLines = trimFrom.stream().mapToInt(Integer::intValue).toArray();
    // a run whose delta is zero (an attempt written again as it was) stays: its last record moves
    rollup.values().removeIf(TotalsDelta::isZero);
    String[] lastAt = new String[deltas.size()];
    int l = 0;
    for (String run : deltas.keySet()) {
      lastAt[l++] = StepColumns.timestamp(lastRecorded.get(run));
    }
    int k = rollup.size();
    String[] day = new String[k];
    String[] provider = new String[k];
    String[] model = new String[k];
    String[] workflowType = new String[k];
    String[] activityType = new String[k];
    String[] taskQueue = new String[k];
    String[] tenant = new String[k];
    int x = 0;
    for (RollupKey key : rollup.keySet()) {
      day[x] = key.day().toString();
      provider[x] = key.provider();
      model[x] = key.model();
      workflowType[x] = key.workflowType();
      activityType[x] = key.activityType();
      taskQueue[x] = key.taskQueue();
      tenant[x++] = key.tenant();
    }
    dao.applyBatch(
        trimmed.runIds(),
        trimmed.activityIds(),
        trimmed.attempts(),
        trimLines,
        trimmed.startedAt(),
        StepColumns.of(upserts),
        deltas.keySet().toArray(String[]::new),
        lastAt,
        DeltaColumns.of(List.copyOf(deltas.values())),
        day,
        provider,
        model,
        workflowType,
        activityType,
        taskQueue,
        tenant,
        shard,
        DeltaColumns.of(List.copyOf(rollup.values())));
  }

  /**
   * Identifies one execution of an activity attempt: a run may reuse an activity id once the
   * activity ended (an id the workflow sets itself), so the same run, activity id and attempt
   * number under another start time is another execution, billed on its own.
   */
  private record AttemptKey(
      String runId, String activityId, int attempt, java.time.Instant startedAt) {
    static AttemptKey of(StepRow r) {
      return new AttemptKey(r.runId(), r.activityId(), r.attempt(), r.startedAt());
    }
  }

  /** Attempt keys as the parallel arrays a statement unnests, in the order given. */
  private record KeyColumns(
      String[] runIds, String[] activityIds, int[] attempts, String[] startedAt) {
    static KeyColumns of(List<AttemptKey> keys) {
      int n = keys.size();
      KeyColumns c = new KeyColumns(new String[n], new String[n], new int[n], new String[n]);
      for (int i = 0; i < n; i++) {
        AttemptKey k = keys.get(i);
        c.runIds[i] = k.runId();
        c.activityIds[i] = k.activityId();
        c.attempts[i] = k.attempt();
        c.startedAt[i] = StepColumns.timestamp(k.startedAt());
      }
      return c;
    }
  }

  /**
   * The lines stored for {@code keys}, by key. The lookup matches start times in PostgreSQL, which
   * keeps them to the microsecond: a key's lines are found under its position, not by comparing the
   * stored start time with the key's own (which may carry nanoseconds).
   */
  private static Map<AttemptKey, List<StepRow>> stored(
      CostDao dao, java.util.Collection<AttemptKey> keys) {
    List<AttemptKey> order = List.copyOf(keys);
    KeyColumns c = KeyColumns.of(order);
    Map<AttemptKey, List<StepRow>> found = new HashMap<>();
    for (CostDao.StoredLine s :
        dao.linesOfStartedAttempts(c.runIds(), c.activityIds(), c.attempts(), c.startedAt())) {
      found.computeIfAbsent(order.get(s.attemptIndex() - 1), k -> new ArrayList<>()).add(s.line());
    }
    return found;
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

  /**
   * Creates the execution row of a run that has no cost yet (a run refused before its first
   * activity ran), so that it can be found, listed and opened like any other; a run that has a row
   * keeps it as it is, but for tags and lineage the row lacked (as every write does).
   */
  public void openExecution(
      String runId,
      String namespace,
      String workflowId,
      String workflowType,
      String taskQueue,
      Map<String, String> tags,
      String parentRunId,
      String rootRunId,
      String chainRunId,
      RunLimits limits,
      java.time.Instant at) {
    ExecutionRow row =
        new ExecutionRow(
            runId,
            namespace,
            workflowId,
            workflowType,
            taskQueue,
            tagsJson(tags == null ? Map.of() : tags),
            at,
            parentRunId,
            rootRunId,
            chainRunId,
            limits == null ? RunLimits.NONE : limits);
    inTransactionOnShard(
        (h, shard) -> {
          lockExecutions(h.attach(CostDao.class), shard, List.of(row));
          return null;
        });
  }

  /**
   * A run's execution row as {@link CostDao#lockExecutions} creates it: {@code tags} as JSON; root
   * and chain null for the run itself; {@code limits} null when not known by this write.
   */
  private record ExecutionRow(
      String runId,
      String namespace,
      String workflowId,
      String workflowType,
      String taskQueue,
      String tags,
      java.time.Instant recordedAt,
      String parentRunId,
      String rootRunId,
      String chainRunId,
      RunLimits limits) {}

  /**
   * Creates (if needed) and locks the execution rows of {@code rows}, given in run-id order, then
   * merges their tags and keeps the overview's run count and rank rows in step ({@link
   * RunTracking}, run counts into rollup shard {@code shard}).
   */
  private static void lockExecutions(CostDao dao, short shard, List<ExecutionRow> rows) {
    int r = rows.size();
    String[] runIds = new String[r];
    String[] namespaces = new String[r];
    String[] workflowIds = new String[r];
    String[] workflowTypes = new String[r];
    String[] taskQueues = new String[r];
    String[] tags = new String[r];
    String[] recordedAt = new String[r];
    String[] parents = new String[r];
    String[] roots = new String[r];
    String[] chains = new String[r];
    String[] softLimits = new String[r];
    String[] hardLimits = new String[r];
    String[] treeLimits = new String[r];
    int j = 0;
    for (ExecutionRow e : rows) {
      runIds[j] = e.runId();
      namespaces[j] = e.namespace();
      workflowIds[j] = e.workflowId();
      workflowTypes[j] = e.workflowType();
      taskQueues[j] = e.taskQueue();
      tags[j] = e.tags();
      parents[j] = e.parentRunId();
      roots[j] = e.rootRunId() != null ? e.rootRunId() : e.runId();
      chains[j] = e.chainRunId() != null ? e.chainRunId() : e.runId();
      RunLimits limits = e.limits();
      if (limits != null) {
        softLimits[j] = limits.softUsd() == null ? null : limits.softUsd().toPlainString();
        hardLimits[j] = limits.hardUsd() == null ? null : limits.hardUsd().toPlainString();
        treeLimits[j] = treeLimitsJson(limits);
      }
      recordedAt[j++] = StepColumns.timestamp(e.recordedAt());
    }
    List<CostDao.LockedRun> locked =
        dao.lockExecutions(
            runIds,
            namespaces,
            workflowIds,
            workflowTypes,
            taskQueues,
            tags,
            recordedAt,
            parents,
            roots,
            chains,
            softLimits,
            hardLimits,
            treeLimits);
    if (locked.size() < r) {
      java.util.Set<String> returned = new java.util.HashSet<>();
      locked.forEach(run -> returned.add(run.runId()));
      String[] unchanged =
          rows.stream()
              .map(ExecutionRow::runId)
              .filter(id -> !returned.contains(id))
              .toArray(String[]::new);
      locked = new ArrayList<>(locked);
      locked.addAll(dao.lockedRuns(unchanged));
    }
    Map<String, String> incoming = new HashMap<>();
    rows.forEach(e -> incoming.put(e.runId(), e.tags()));
    RunTracking.of(locked, incoming).apply(dao, shard);
  }

  /** The ancestors' limits of {@code limits} as the execution row's {@code tree_limits}. */
  static String treeLimitsJson(RunLimits limits) {
    java.util.List<Map<String, String>> list = new java.util.ArrayList<>();
    for (RunLimits.Covering c : limits.tree()) {
      Map<String, String> m = new java.util.LinkedHashMap<>();
      m.put("runId", c.runId());
      if (c.softUsd() != null) {
        m.put("softUsd", c.softUsd().toPlainString());
      }
      if (c.hardUsd() != null) {
        m.put("hardUsd", c.hardUsd().toPlainString());
      }
      list.add(m);
    }
    try {
      return JSON.writeValueAsString(list);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("limits cannot be written as JSON", e);
    }
  }

  static String tagsJson(Map<String, String> tags) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(tags));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("tags cannot be written as JSON", e);
    }
  }
}
