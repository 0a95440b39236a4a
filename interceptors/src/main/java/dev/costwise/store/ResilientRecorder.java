package dev.costwise.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes cost records with group commit, and keeps them when PostgreSQL is unreachable.
 *
 * <p>Each {@link #record} call hands its attempt to a small pool of writer threads and waits until
 * the attempt is durable: a writer takes every attempt waiting at that moment (up to {@code
 * maxBatch}) and writes them in one transaction, so many concurrent activities share one commit;
 * while one writer waits for its commit, the next gathers a batch. A failed batch is tried again
 * with backoff; if it still fails, each attempt is tried alone once and those that fail are
 * appended (and fsynced) to a local spool file, which {@link #flushSpool()} replays later. Rows are
 * keyed, so replaying a row that did reach the database replaces it rather than counting it twice.
 * The activity itself never fails because of a cost write: failing it would make Temporal retry a
 * model call that was already billed.
 */
public final class ResilientRecorder implements CostRecorder, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResilientRecorder.class);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private static final TypeReference<List<StepRow>> ROWS = new TypeReference<>() {};

  /** Default most attempts written in one transaction. */
  public static final int DEFAULT_MAX_BATCH = 500;

  /** Writer threads, hence database connections used for cost writes. */
  public static final int WRITERS = 2;

  /** Told about every write that failed, whether it was spooled, and every replay. */
  public interface Listener {
    /** A write failed after retries; {@code spooled} says whether the rows are safe on disk. */
    void writeFailed(AttemptCost attempt, Exception error, boolean spooled);

    /** Spooled rows of {@code attempts} attempts were written to the database. */
    default void spoolReplayed(int attempts) {}
  }

  private record Pending(AttemptCost attempt, List<StepRow> rows, CompletableFuture<Void> done) {}

  private final CostStore store;
  private final Path spoolFile;
  private final int tries;
  private final Duration backoff;
  private final Listener listener;
  private final int maxBatch;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Thread> writers = new ArrayList<>();
  private volatile boolean closed;

  /**
   * A recorder writing batches of up to {@value #DEFAULT_MAX_BATCH} attempts.
   *
   * @param spoolFile append-only file for rows that could not be written; its folder is created
   * @param tries write attempts of a batch before falling back to spooling (at least 1)
   * @param backoff wait before the second try, doubled for each further try
   */
  public ResilientRecorder(
      CostStore store, Path spoolFile, int tries, Duration backoff, Listener listener) {
    this(store, spoolFile, tries, backoff, listener, DEFAULT_MAX_BATCH);
  }

  /** As above, with the most attempts one transaction may carry. */
  public ResilientRecorder(
      CostStore store,
      Path spoolFile,
      int tries,
      Duration backoff,
      Listener listener,
      int maxBatch) {
    if (tries < 1) {
      throw new IllegalArgumentException("tries must be at least 1");
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1");
    }
    this.store = store;
    this.spoolFile = spoolFile;
    this.tries = tries;
    this.backoff = backoff;
    this.listener = listener;
    this.maxBatch = maxBatch;
    for (int i = 0; i < WRITERS; i++) {
      Thread writer = new Thread(this::writeLoop, "costwise-cost-writer-" + i);
      writer.setDaemon(true);
      writer.start();
      writers.add(writer);
    }
  }

  /**
   * Writes {@code attempt} (with others waiting at the same time) and returns once it is durable.
   */
  @Override
  public void record(AttemptCost attempt) {
    Pending p = new Pending(attempt, CostStore.rows(attempt), new CompletableFuture<>());
    if (p.rows().isEmpty()) {
      return;
    }
    if (closed) {
      write(List.of(p));
      return;
    }
    queue.add(p);
    boolean interrupted = false;
    while (true) {
      try {
        p.done().get();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // the record must still land: keep waiting, restore the flag after
      } catch (ExecutionException e) {
        throw new IllegalStateException("cost writer failed", e.getCause());
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Writes what is queued, then stops the writer threads; later records are written by the caller.
   */
  @Override
  public void close() {
    closed = true;
    writers.forEach(Thread::interrupt);
    try {
      for (Thread writer : writers) {
        writer.join(Duration.ofSeconds(30).toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Pending> left = new ArrayList<>();
    queue.drainTo(left);
    if (!left.isEmpty()) {
      write(left);
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>(maxBatch);
    while (!closed) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        continue; // closed is checked; anything queued is written by close()
      }
      queue.drainTo(batch, maxBatch - 1);
      try {
        write(batch);
      } catch (RuntimeException e) {
        log.error("Cost writer failed unexpectedly: {}", e.toString(), e);
        batch.forEach(p -> p.done().completeExceptionally(e));
      }
      batch.clear();
    }
  }

  private void write(List<Pending> batch) {
    RuntimeException last = null;
    for (int i = 0; i < tries; i++) {
      try {
        store.writeBatch(batch.stream().map(Pending::rows).toList());
        batch.forEach(p -> p.done().complete(null));
        return;
      } catch (RuntimeException e) {
        last = e;
        if (i + 1 < tries) {
          sleep(backoff.multipliedBy(1L << i));
        }
      }
    }
    for (Pending p : batch) {
      try {
        if (batch.size() > 1) {
          store.writeRows(p.rows());
          p.done().complete(null);
          continue;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      boolean spooled = spool(p.rows());
      if (spooled) {
        log.warn(
            "Cost of {} kept in spool {} after failed writes: {}",
            describe(p.attempt()),
            spoolFile,
            last.getMessage());
      } else {
        log.error(
            "Cost of {} could not be written nor spooled: {}",
            describe(p.attempt()),
            last.getMessage(),
            last);
      }
      try {
        listener.writeFailed(p.attempt(), last, spooled);
      } finally {
        p.done().complete(null);
      }
    }
  }

  /**
   * Writes spooled rows to the database and empties the spool when all succeed. Returns the number
   * of attempts written; rows that still fail stay spooled.
   */
  public synchronized int flushSpool() {
    if (!Files.exists(spoolFile)) {
      return 0;
    }
    List<String> pending;
    try {
      pending = Files.readAllLines(spoolFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      log.error("Cannot read cost spool {}: {}", spoolFile, e.getMessage());
      return 0;
    }
    List<String> remaining = new ArrayList<>();
    int written = 0;
    for (String line : pending) {
      if (line.isBlank()) {
        continue;
      }
      try {
        store.writeRows(JSON.readValue(line, ROWS));
        written++;
      } catch (IOException e) {
        log.error("Unreadable line in cost spool {} kept aside: {}", spoolFile, e.getMessage());
        remaining.add(line);
      } catch (RuntimeException e) {
        remaining.add(line);
      }
    }
    try {
      if (remaining.isEmpty()) {
        Files.delete(spoolFile);
      } else if (written > 0) {
        Path tmp = spoolFile.resolveSibling(spoolFile.getFileName() + ".tmp");
        Files.write(tmp, remaining, StandardCharsets.UTF_8);
        Files.move(
            tmp,
            spoolFile,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      log.error("Cannot rewrite cost spool {}: {}", spoolFile, e.getMessage());
    }
    if (written > 0) {
      log.info(
          "Wrote {} spooled attempt(s) from {}; {} still pending",
          written,
          spoolFile,
          remaining.size());
      listener.spoolReplayed(written);
    }
    return written;
  }

  /** Attempts waiting in the spool. */
  public synchronized int spooledCount() {
    if (!Files.exists(spoolFile)) {
      return 0;
    }
    try (var lines = Files.lines(spoolFile)) {
      return (int) lines.filter(l -> !l.isBlank()).count();
    } catch (IOException e) {
      return -1;
    }
  }

  private synchronized boolean spool(List<StepRow> rows) {
    try {
      Files.createDirectories(spoolFile.toAbsolutePath().getParent());
      byte[] line = (JSON.writeValueAsString(rows) + "\n").getBytes(StandardCharsets.UTF_8);
      try (FileChannel ch =
          FileChannel.open(
              spoolFile,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND)) {
        ch.write(java.nio.ByteBuffer.wrap(line));
        ch.force(true);
      }
      return true;
    } catch (IOException e) {
      log.error("Cannot append to cost spool {}: {}", spoolFile, e.getMessage());
      return false;
    }
  }

  private static String describe(AttemptCost a) {
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
