package dev.costwise.store;

import dev.costwise.usage.UsageScope;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes cost records with group commit, and never loses one or makes an activity wait on an
 * unreachable database.
 *
 * <ul>
 *   <li>Group commit: {@link #record} hands its attempt to a small pool of writer threads and waits
 *       until it is durable; a writer writes every attempt waiting at that moment (up to {@code
 *       maxBatch}) in one transaction.
 *   <li>Outage: the first write that cannot reach PostgreSQL marks the database down; from then on
 *       attempts go straight to an fsynced local spool (milliseconds) until a background probe
 *       finds it answering again and replays the spool, exactly once (rows are keyed). A record
 *       also never waits longer than {@code maxWait} (or the deadline it is given): past it, the
 *       attempt is spooled and the activity goes on.
 *   <li>Rejected data: a write PostgreSQL refuses as data (bad bytes, a value too long) is never
 *       retried forever. The attempt's cost is stored with its text made storable and the rows as
 *       recorded are kept in {@code cost_rejected}; the listener hears of it.
 *   <li>Crash: with {@link #observe}, each usage record is appended to a write-ahead journal when
 *       it is recorded; the next recorder on the same folder records attempts that never ended as
 *       {@link Outcome#INTERRUPTED}, unless the attempt was already recorded.
 *   <li>Write-behind (opt-in, {@link #writeBehind}): {@link #record} appends the attempt's final
 *       rows to the journal and returns once a sync covers them (one sync serves every attempt
 *       waiting meanwhile), a few milliseconds; writers put them in PostgreSQL in larger batches
 *       soon after. Rows reach the database up to {@code linger} plus a write later, and what a
 *       worker that died left recorded but unwritten is written by the next start. At most {@code
 *       maxBatch} times four attempts wait for the database: a record finding no room waits for
 *       some (the database's pace becomes the activities' pace, and memory stays bounded), and past
 *       {@code maxWait} it goes to the spool as a write-through record would.
 * </ul>
 *
 * The spool and the journal live beside {@code spoolFile}. One recorder per folder at a time.
 */
public final class ResilientRecorder implements CostRecorder, UnwrittenCost, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResilientRecorder.class);

  /** Default most attempts written in one transaction. */
  public static final int DEFAULT_MAX_BATCH = 500;

  /** Default writer threads, hence database connections used for cost writes. */
  public static final int WRITERS = 2;

  /**
   * Writer threads a worker that writes through uses (the plugin's choice): one, so that the
   * attempts that end while a commit is under way share the next one. Two writers split them into
   * transactions of half the size: with 40 activities in flight, about 1.5 times the database CPU
   * per attempt and about a quarter fewer activities per second ({@code TrackingOverhead}, mode
   * {@code on}); with 32 activities recording at once the rate was the same ({@code
   * PersistBenchmark}). Writing behind gathers its batches over the linger and keeps {@link
   * #WRITERS}.
   */
  public static final int WRITE_THROUGH_WRITERS = 1;

  /** Default longest wait of {@link #record} for the database before it spools instead. */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(2);

  private static final Duration PROBE_EVERY = Duration.ofMillis(500);
  private static final int REPLAY_CHUNK = 200;
  private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  /** Told about writes that failed, rejected data, outages and replays. */
  public interface Listener {
    /** A write failed; {@code spooled} says whether the rows are safe in the local spool. */
    void writeFailed(AttemptCost attempt, Exception error, boolean spooled);

    /** Spooled rows of {@code attempts} attempts were written to the database. */
    default void spoolReplayed(int attempts) {}

    /** PostgreSQL refused an attempt's rows as data; its cost was stored with storable text. */
    default void rejected(String runId, String activityId, int attempt, String reason) {}

    /** PostgreSQL could not be reached; writes go to the spool until it answers. */
    default void databaseDown(String reason) {}

    /** PostgreSQL answers again and the spool was replayed. */
    default void databaseUp() {}
  }

  /**
   * One attempt handed to the writers. Each is its own, so it is compared by identity: a record's
   * own equality would hash every line of the attempt each time it is put in or taken from a map.
   */
  private record Pending(AttemptCost attempt, List<StepRow> rows, CompletableFuture<Void> done) {
    @Override
    public boolean equals(Object other) {
      return this == other;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  private final CostStore store;
  private final CostSpool spool;
  private final AttemptJournal journal;
  private final int tries;
  private final Duration backoff;
  private final Listener listener;
  private final int maxBatch;
  private final Duration maxWait;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();

  /** Write-behind attempts not yet written, each with its settling (journal end, counts). */
  private final Map<Pending, CompletableFuture<Void>> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong rejectedCount = new AtomicLong();
  private final Object replayLock = new Object();
  private final java.util.concurrent.ConcurrentHashMap<String, Map<String, BigDecimal>> behind =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile Duration linger; // null: write-through
  private final java.util.concurrent.Semaphore room; // attempts write-behind may hold unwritten
  private volatile boolean down;
  private volatile String downReason;
  private volatile boolean closed;
  private java.time.LocalDate foldedBefore; // probe thread only

  /** A recorder writing batches of up to {@value #DEFAULT_MAX_BATCH} attempts. */
  public ResilientRecorder(
      CostStore store, Path spoolFile, int tries, Duration backoff, Listener listener) {
    this(store, spoolFile, tries, backoff, listener, DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT);
  }

  /** As above, with the most attempts one transaction may carry. */
  public ResilientRecorder(
      CostStore store,
      Path spoolFile,
      int tries,
      Duration backoff,
      Listener listener,
      int maxBatch) {
    this(store, spoolFile, tries, backoff, listener, maxBatch, DEFAULT_MAX_WAIT);
  }

  /**
   * A recorder.
   *
   * @param spoolFile the spool; the journal ({@code NAME.journal}) is kept beside it
   * @param tries tries of a batch that failed for a passing reason (deadlock, serialization)
   * @param backoff wait before the second try, doubled for each further try
   * @param maxWait longest a {@link #record} waits for the database before spooling
   */
  public ResilientRecorder(
      CostStore store,
      Path spoolFile,
      int tries,
      Duration backoff,
      Listener listener,
      int maxBatch,
      Duration maxWait) {
    this(store, spoolFile, tries, backoff, listener, maxBatch, maxWait, WRITERS);
  }

  /**
   * As above, with the number of writer threads (each a connection and one transaction at a time):
   * fewer writers make larger batches, more overlap one commit's fsync with the next batch's work.
   */
  public ResilientRecorder(
      CostStore store,
      Path spoolFile,
      int tries,
      Duration backoff,
      Listener listener,
      int maxBatch,
      Duration maxWait,
      int writers) {
    if (writers < 1) {
      throw new IllegalArgumentException("writers must be at least 1");
    }
    if (tries < 1) {
      throw new IllegalArgumentException("tries must be at least 1");
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1");
    }
    if (maxWait.isNegative() || maxWait.isZero()) {
      throw new IllegalArgumentException("maxWait must be positive");
    }
    this.store = store;
    this.tries = tries;
    this.backoff = backoff;
    this.listener = listener;
    this.maxBatch = maxBatch;
    this.maxWait = maxWait;
    this.spool = new CostSpool(spoolFile);
    this.room = new java.util.concurrent.Semaphore(maxBatch * 4);
    Path journalFile = spoolFile.resolveSibling(spoolFile.getFileName() + ".journal");
    AttemptJournal.Unfinished left = AttemptJournal.read(journalFile);
    recoverRecorded(left.recorded(), journalFile);
    recoverInterrupted(left.interrupted(), journalFile);
    this.journal = new AttemptJournal(journalFile);
    for (int i = 0; i < writers; i++) {
      threads.add(start(this::writeLoop, "costwise-cost-writer-" + i));
    }
    threads.add(start(this::probeLoop, "costwise-cost-probe"));
  }

  /**
   * Turns write-behind on: {@link #record} returns once the attempt's rows are synced to the local
   * journal, and writers wait up to {@code linger} to gather larger batches for PostgreSQL. Null
   * turns it off (each record waits for PostgreSQL, the default).
   */
  public ResilientRecorder writeBehind(Duration linger) {
    if (linger != null && linger.isNegative()) {
      throw new IllegalArgumentException("linger cannot be negative");
    }
    this.linger = linger;
    return this;
  }

  /** Whether {@link #record} returns once rows are synced to the journal. */
  public boolean writesBehind() {
    return linger != null;
  }

  /**
   * Waits until every attempt recorded before the call is in the database or the spool, or {@code
   * timeout} passes; false on timeout. With write-behind, readers that must see an attempt right
   * after its activity returned (tests, a report run at once) call this first.
   */
  public boolean awaitWritten(Duration timeout) {
    long until = System.nanoTime() + timeout.toNanos();
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    waiting.addAll(inFlight.values());
    for (CompletableFuture<Void> f : waiting) {
      long left = until - System.nanoTime();
      try {
        f.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        return false;
      } catch (ExecutionException e) {
        // settled by the writer either way
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private static Thread start(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Makes usage durable as it is recorded: returns the listener the attempt's usage scope tells of
   * each record, which appends it to the journal.
   */
  @Override
  public UsageScope.Listener observe(
      AttemptContext context, Map<String, String> tags, java.time.Clock clock) {
    String tagsJson = CostStore.tagsJson(tags);
    return (lineNo, line) ->
        journal.observed(
            StepRow.line(context, Outcome.INTERRUPTED, lineNo, line, tagsJson, clock.instant()));
  }

  /** Writes {@code attempt} and returns once it is durable (database or spool). */
  @Override
  public void record(AttemptCost attempt) {
    record(attempt, null);
  }

  /**
   * Writes {@code attempt} and returns once it is durable, in the database or, when the database is
   * down or slower than {@code maxWait} (or {@code deadline}, if sooner), in the spool.
   */
  @Override
  public void record(AttemptCost attempt, Instant deadline) {
    List<StepRow> rows = CostStore.rows(attempt);
    if (rows.isEmpty()) {
      return;
    }
    String key = AttemptJournal.key(rows.get(0));
    Pending p = new Pending(attempt, rows, new CompletableFuture<>());
    if (linger != null && !down && !closed) {
      switch (behind(p, key, deadline)) {
        case QUEUED:
          return;
        case NO_ROOM:
          try {
            spoolOrLog(
                p,
                new TimeoutException(
                    "the database is behind by "
                        + (maxBatch * 4)
                        + " attempts and made no room within "
                        + maxWait(deadline).toMillis()
                        + " ms"));
          } finally {
            journal.ended(key);
          }
          return;
        case NO_JOURNAL:
          break; // write through
      }
    }
    try {
      if (down || closed) {
        spoolOrLog(p, down ? unreachable() : new IllegalStateException("recorder closed"));
        return;
      }
      queue.add(p);
      await(p, deadline);
    } finally {
      journal.ended(key);
    }
  }

  /**
   * Records {@code p} write-behind: once there is room among the unwritten attempts, its rows go to
   * the journal and, once synced, to the writers.
   */
  private Behind behind(Pending p, String key, Instant deadline) {
    try {
      if (!room.tryAcquire(maxWait(deadline).toNanos(), TimeUnit.NANOSECONDS)) {
        return Behind.NO_ROOM;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Behind.NO_JOURNAL; // write through: that path finishes the record uninterrupted
    }
    long position = journal.recorded(p.rows());
    if (position < 0) {
      room.release();
      return Behind.NO_JOURNAL;
    }
    BigDecimal cost = CostSpool.costOf(p.rows());
    String runId = p.rows().get(0).runId();
    // changed only inside compute, so a run's map is never emptied and dropped while another
    // attempt of the run is being added to it
    behind.compute(
        runId,
        (k, m) -> {
          Map<String, BigDecimal> held =
              m != null ? m : new java.util.concurrent.ConcurrentHashMap<>();
          held.put(key, cost);
          return held;
        });
    CompletableFuture<Void> settled = new CompletableFuture<>();
    inFlight.put(p, settled);
    p.done()
        .whenComplete(
            (ok, error) -> {
              journal.ended(key); // in the database or the spool: a restart need not write it
              behind.computeIfPresent(
                  runId,
                  (k, m) -> {
                    m.remove(key);
                    return m.isEmpty() ? null : m;
                  });
              inFlight.remove(p);
              room.release();
              settled.complete(null);
            });
    queue.add(p);
    if (!journal.awaitSynced(position, maxWait)) {
      log.warn(
          "The cost journal could not be synced within {} ms; {} goes on with its rows written"
              + " but not yet forced to disk",
          maxWait.toMillis(),
          describe(p.attempt()));
    }
    return Behind.QUEUED;
  }

  /** How a write-behind record went. */
  private enum Behind {
    /** In the synced journal and queued for the writers. */
    QUEUED,
    /** The writers hold as many unwritten attempts as allowed and made no room in time. */
    NO_ROOM,
    /** The journal could not take the rows: the record writes through instead. */
    NO_JOURNAL
  }

  /** The longest a record may wait: {@code maxWait}, or less when its deadline is sooner. */
  private Duration maxWait(Instant deadline) {
    Duration wait = maxWait;
    if (deadline != null) {
      Duration left = Duration.between(Instant.now(), deadline);
      if (left.compareTo(wait) < 0) {
        wait = left.isNegative() ? Duration.ZERO : left;
      }
    }
    return wait;
  }

  private void await(Pending p, Instant deadline) {
    long waitNanos = maxWait(deadline).toNanos();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          p.done().get(Math.max(waitNanos, 0), TimeUnit.NANOSECONDS);
          return;
        } catch (InterruptedException e) {
          interrupted = true; // the record must still land
        } catch (TimeoutException e) {
          // the writer may still commit it: the spool's replay then rewrites identical rows
          spoolOrLog(
              p,
              new TimeoutException(
                  "the database took longer than "
                      + Duration.ofNanos(Math.max(waitNanos, 0)).toMillis()
                      + " ms"));
          return;
        } catch (ExecutionException e) {
          spoolOrLog(p, e.getCause() instanceof Exception ex ? ex : e);
          return;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the database is taken to be unreachable (writes go to the spool). */
  @Override
  public boolean databaseDown() {
    return down;
  }

  /** Spend of {@code runId} held in the spool, not yet in the database. */
  @Override
  public BigDecimal unwrittenUsd(String runId) {
    BigDecimal held = spool.unwrittenUsd(runId);
    Map<String, BigDecimal> m = behind.get(runId);
    if (m != null) {
      for (BigDecimal c : m.values()) {
        held = held.add(c);
      }
    }
    return held;
  }

  /**
   * Attempts recorded write-behind (durable in the journal) whose rows the database does not have
   * yet; at most four batches, after which records wait for room.
   */
  public int unwrittenCount() {
    return inFlight.size();
  }

  /** Attempts waiting in the spool. */
  public int spooledCount() {
    return spool.size();
  }

  /** Attempts rejected as data since this recorder started. */
  public long rejectedCount() {
    return rejectedCount.get();
  }

  /** Attempts running whose usage is in the journal. */
  public int openAttempts() {
    return journal.openAttempts();
  }

  /**
   * Writes what is queued, stops the threads and closes the journal; later records go to the spool.
   * Attempts still open stay in the journal and are recorded as interrupted by the next start.
   */
  @Override
  public void close() {
    closed = true;
    try {
      for (Thread t : threads) {
        t.join(Duration.ofSeconds(30).toMillis()); // no interrupts: a writer may be mid-fsync
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Pending> left = new ArrayList<>();
    queue.drainTo(left);
    if (!left.isEmpty()) {
      write(left);
    }
    journal.close();
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>(maxBatch);
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
      } catch (InterruptedException e) {
        continue; // only close() stops a writer, once the queue is empty
      }
      queue.drainTo(batch, maxBatch - 1);
      Duration gather = linger;
      if (gather != null && !gather.isZero() && !closed) {
        long until = System.nanoTime() + gather.toNanos();
        // the writer sleeps while attempts gather, in slices (so that a close or a full batch ends
        // the gathering soon), and takes them all at the end: taking each as it arrived woke this
        // thread once per attempt, a context switch in and out for every activity on busy cores
        while (!closed && queue.size() < maxBatch - batch.size()) {
          long left = until - System.nanoTime();
          if (left <= 0) {
            break;
          }
          java.util.concurrent.locks.LockSupport.parkNanos(this, Math.min(left, SLICE_NANOS));
          if (Thread.interrupted()) {
            break; // write what was gathered
          }
        }
        queue.drainTo(batch, maxBatch - batch.size());
      }
      try {
        write(batch);
      } catch (RuntimeException | Error e) {
        log.error("Cost writer failed unexpectedly: {}", e.toString(), e);
        batch.forEach(
            p -> {
              if (!p.done().isDone()) {
                spoolOrLog(p, e instanceof Exception ex ? ex : new CostStoreException("failed", e));
              }
            });
      }
      batch.clear();
    }
  }

  private void write(List<Pending> batch) {
    if (down) {
      batch.forEach(p -> spoolOrLog(p, unreachable()));
      return;
    }
    RuntimeException last = null;
    for (int i = 0; i < tries; i++) {
      try {
        store.writeBatch(batch.stream().map(Pending::rows).toList());
        batch.forEach(p -> p.done().complete(null));
        return;
      } catch (RuntimeException | AssertionError | LinkageError thrown) {
        // a driver may throw an Error on a connection cut mid-statement: the writer must survive
        RuntimeException e =
            thrown instanceof RuntimeException re
                ? re
                : new CostStoreException("write failed", thrown);
        last = e;
        StoreErrors.Kind kind = StoreErrors.classify(e);
        if (kind == StoreErrors.Kind.UNREACHABLE) {
          markDown(e);
          batch.forEach(p -> spoolOrLog(p, e));
          return;
        }
        if (kind == StoreErrors.Kind.DATA || i + 1 == tries) {
          break;
        }
        sleep(backoff.multipliedBy(1L << i));
      }
    }
    for (Pending p : batch) {
      if (batch.size() > 1) {
        try {
          store.writeRows(p.rows());
          p.done().complete(null);
          continue;
        } catch (RuntimeException | AssertionError | LinkageError e) {
          last = e instanceof RuntimeException re ? re : new CostStoreException("write failed", e);
        }
      }
      switch (StoreErrors.classify(last)) {
        case DATA -> reject(p, last);
        case UNREACHABLE -> {
          markDown(last);
          spoolOrLog(p, last);
        }
        case TRANSIENT -> spoolOrLog(p, last);
      }
    }
  }

  /** Stores a rejected attempt with storable text and keeps the original; else spools it. */
  private void reject(Pending p, Exception error) {
    String reason = StoreErrors.message(error, 500);
    StepRow first = p.rows().get(0);
    try {
      byte[] original =
          AttemptJournal.JSON.writeValueAsString(p.rows()).getBytes(StandardCharsets.UTF_8);
      store.writeRejected(p.rows(), reason, original);
    } catch (IOException | RuntimeException e) {
      log.error(
          "Cost of run {} activity {} attempt {} was rejected by PostgreSQL ({}) and could not be"
              + " set aside either ({}); it stays in the spool",
          Text.storable(first.runId(), 100),
          Text.storable(first.activityId(), 100),
          first.attempt(),
          reason,
          StoreErrors.message(e, 300));
      spoolOrLog(p, e);
      return;
    }
    rejectedCount.incrementAndGet();
    log.error(
        "Cost of run {} activity {} attempt {} was rejected by PostgreSQL ({}); its cost is stored"
            + " with storable text and the rows as recorded are kept in cost_rejected"
            + " (costwise rejected list)",
        Text.storable(first.runId(), 100),
        Text.storable(first.activityId(), 100),
        first.attempt(),
        reason);
    try {
      listener.rejected(first.runId(), first.activityId(), first.attempt(), reason);
    } finally {
      p.done().complete(null);
    }
  }

  private void spoolOrLog(Pending p, Exception error) {
    boolean spooled;
    try {
      spool.append(new CostSpool.Line(p.rows(), false));
      spooled = true;
    } catch (IOException | RuntimeException e) {
      spooled = false;
      log.error(
          "Cost of {} could not be written ({}) nor spooled to {} ({})",
          describe(p.attempt()),
          StoreErrors.message(error, 300),
          spool.file(),
          e.toString());
    }
    if (spooled && !down) {
      log.warn(
          "Cost of {} kept in spool {}: {}",
          describe(p.attempt()),
          spool.file(),
          StoreErrors.message(error, 300));
    }
    try {
      listener.writeFailed(p.attempt(), error, spooled);
    } finally {
      p.done().complete(null);
    }
  }

  private void markDown(Exception e) {
    if (down) {
      return;
    }
    down = true;
    downReason = StoreErrors.message(e, 300);
    log.warn(
        "PostgreSQL cannot be reached ({}); cost writes go to the spool {} until it answers",
        downReason,
        spool.file());
    listener.databaseDown(downReason);
  }

  private Exception unreachable() {
    return new IllegalStateException("PostgreSQL unreachable: " + downReason);
  }

  /** Folds the rollup shards of past days once per UTC day, while the database is up. */
  private void foldRollupOnceADay() {
    java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
    if (down || today.equals(foldedBefore)) {
      return;
    }
    try {
      int folded = store.foldRollupShards(today);
      foldedBefore = today;
      log.debug("Folded {} rollup shard row(s) of days before {}", folded, today);
    } catch (RuntimeException e) {
      log.warn("Cannot fold the rollup shards of past days now: {}", StoreErrors.message(e, 300));
    }
  }

  private void probeLoop() {
    long next = System.nanoTime() + PROBE_EVERY.toNanos();
    while (!closed) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        continue;
      }
      if (System.nanoTime() < next) {
        continue;
      }
      next = System.nanoTime() + PROBE_EVERY.toNanos();
      try {
        if (down) {
          if (store.ping()) {
            int replayed = flushSpool();
            if (!down) {
              log.info("PostgreSQL answers again; {} spooled attempt(s) written", replayed);
              listener.databaseUp();
            }
          }
        } else if (spool.size() > 0) {
          flushSpool();
        }
      } catch (RuntimeException e) {
        log.warn("Cost spool replay failed: {}", e.toString());
      }
      foldRollupOnceADay();
    }
  }

  /**
   * Writes spooled attempts to the database and returns how many; what still fails stays spooled.
   * When the spool is empty afterwards, the database is taken to be up again.
   */
  public int flushSpool() {
    synchronized (replayLock) {
      List<CostSpool.Line> lines;
      try {
        lines = spool.takeForReplay();
      } catch (IOException e) {
        log.error("Cannot take the cost spool {} for replay: {}", spool.file(), e.getMessage());
        return 0;
      }
      List<CostSpool.Line> written = new ArrayList<>();
      List<CostSpool.Line> left = new ArrayList<>();
      boolean unreachable = false;
      for (int from = 0; from < lines.size(); from += REPLAY_CHUNK) {
        List<CostSpool.Line> chunk =
            lines.subList(from, Math.min(lines.size(), from + REPLAY_CHUNK));
        if (unreachable) {
          left.addAll(chunk);
          continue;
        }
        try {
          replay(chunk);
          written.addAll(chunk);
          continue;
        } catch (RuntimeException e) {
          if (StoreErrors.classify(e) == StoreErrors.Kind.UNREACHABLE) {
            unreachable = true;
            left.addAll(chunk);
            continue;
          }
        }
        for (CostSpool.Line l : chunk) {
          try {
            replay(List.of(l));
            written.add(l);
          } catch (RuntimeException e) {
            StoreErrors.Kind kind = StoreErrors.classify(e);
            if (kind == StoreErrors.Kind.DATA) {
              CompletableFuture<Void> done = new CompletableFuture<>();
              reject(new Pending(null, l.rows(), done), e);
              written.add(l);
            } else {
              unreachable |= kind == StoreErrors.Kind.UNREACHABLE;
              left.add(l);
            }
          }
        }
      }
      try {
        spool.finishReplay(written, left);
      } catch (IOException e) {
        log.error("Cannot rewrite the cost spool {}: {}", spool.file(), e.getMessage());
      }
      if (unreachable) {
        down = true;
      } else if (spool.size() == 0) {
        down = false;
      }
      if (!written.isEmpty()) {
        log.info(
            "Wrote {} spooled attempt(s) from {}; {} still pending",
            written.size(),
            spool.file(),
            spool.size());
        listener.spoolReplayed(written.size());
      }
      return written.size();
    }
  }

  private void replay(List<CostSpool.Line> lines) {
    List<List<StepRow>> plain = new ArrayList<>();
    List<List<StepRow>> ifAbsent = new ArrayList<>();
    for (CostSpool.Line l : lines) {
      (l.ifAbsent() ? ifAbsent : plain).add(l.rows());
    }
    if (!plain.isEmpty()) {
      store.writeBatch(plain);
    }
    if (!ifAbsent.isEmpty()) {
      store.writeIfAbsent(ifAbsent);
    }
  }

  /**
   * Writes the attempts a worker that died had recorded write-behind but not yet written (rows are
   * keyed: one that did reach the database is rewritten as it is); spools them when the database
   * cannot take them now.
   */
  private void recoverRecorded(Map<String, List<StepRow>> recorded, Path journalFile) {
    if (recorded.isEmpty()) {
      return;
    }
    List<List<StepRow>> attempts = notSpooled(recorded);
    try {
      for (int from = 0; from < attempts.size(); from += REPLAY_CHUNK) {
        store.writeBatch(attempts.subList(from, Math.min(attempts.size(), from + REPLAY_CHUNK)));
      }
      log.info(
          "Wrote {} attempt(s) a previous worker had recorded in its journal but not yet written",
          attempts.size());
      return;
    } catch (RuntimeException e) {
      log.warn(
          "Cannot write the attempts a previous worker left in its journal now ({}); they are"
              + " spooled",
          StoreErrors.message(e, 200));
    }
    spoolOrKeepJournal(attempts, false, journalFile);
  }

  /** The attempts of {@code byKey} the spool does not already hold. */
  private List<List<StepRow>> notSpooled(Map<String, List<StepRow>> byKey) {
    java.util.Set<String> spooled = spool.keys();
    List<List<StepRow>> attempts = new ArrayList<>();
    byKey.forEach(
        (key, rows) -> {
          if (!spooled.contains(key)) {
            attempts.add(rows);
          }
        });
    return attempts;
  }

  /**
   * Spools unfinished attempts a previous worker left; if the spool cannot take them, keeps the
   * journal aside so that nothing is lost, and returns false.
   */
  private boolean spoolOrKeepJournal(List<List<StepRow>> attempts, boolean ifAbsent, Path journal) {
    for (List<StepRow> rows : attempts) {
      try {
        spool.append(new CostSpool.Line(rows, ifAbsent));
      } catch (IOException io) {
        keepJournal(journal, io);
        return false;
      }
    }
    return true;
  }

  private static void keepJournal(Path journalFile, IOException io) {
    if (!java.nio.file.Files.exists(journalFile)) {
      return; // kept already
    }
    Path kept =
        journalFile.resolveSibling(journalFile.getFileName() + "." + System.currentTimeMillis());
    log.error(
        "Cannot spool unfinished attempts ({}); the journal is kept as {}", io.getMessage(), kept);
    try {
      java.nio.file.Files.move(journalFile, kept);
    } catch (IOException moveFailed) {
      throw new java.io.UncheckedIOException(
          "Cannot keep the cost journal " + journalFile + " of unfinished attempts", moveFailed);
    }
  }

  /**
   * Records the attempts a worker that died left open in its journal as interrupted: written when
   * the attempt has no rows yet (it never reached its own record), else skipped.
   */
  private void recoverInterrupted(Map<String, List<StepRow>> interrupted, Path journalFile) {
    if (interrupted.isEmpty()) {
      return;
    }
    List<List<StepRow>> attempts = notSpooled(interrupted);
    int written = 0;
    try {
      written = attempts.isEmpty() ? 0 : store.writeIfAbsent(attempts);
    } catch (RuntimeException e) {
      log.warn(
          "Cannot record interrupted attempts now ({}); they are spooled",
          StoreErrors.message(e, 200));
      if (!spoolOrKeepJournal(attempts, true, journalFile)) {
        return;
      }
    }
    log.info(
        "Found {} attempt(s) a previous worker was running when it stopped; {} recorded as"
            + " INTERRUPTED (the others were already recorded)",
        interrupted.size(),
        written);
  }

  private static String describe(AttemptCost a) {
    if (a == null) {
      return "a spooled attempt";
    }
    AttemptContext c = a.context();
    return "run " + c.runId() + " activity " + c.activityId() + " attempt " + c.attempt();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
