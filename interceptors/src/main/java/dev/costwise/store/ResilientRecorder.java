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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps cost records when PostgreSQL is unreachable. A write is tried a few times with backoff;
 * if it still fails, the attempt's rows are appended (and fsynced) to a local spool file, and
 * {@link #flushSpool()} writes them later. Rows are keyed, so replaying a row that did reach the
 * database replaces it rather than counting it twice. The activity itself never fails because of
 * a cost write: failing it would make Temporal retry a model call that was already billed.
 */
public final class ResilientRecorder implements CostRecorder {
  private static final Logger log = LoggerFactory.getLogger(ResilientRecorder.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private static final TypeReference<List<StepRow>> ROWS = new TypeReference<>() {};

  /** Told about every write that failed, whether it was spooled, and every replay. */
  public interface Listener {
    /** A write failed after retries; {@code spooled} says whether the rows are safe on disk. */
    void writeFailed(AttemptCost attempt, Exception error, boolean spooled);

    /** Spooled rows of {@code attempts} attempts were written to the database. */
    default void spoolReplayed(int attempts) {}
  }

  private final CostStore store;
  private final Path spoolFile;
  private final int tries;
  private final Duration backoff;
  private final Listener listener;

  /**
   * @param spoolFile append-only file for rows that could not be written; its folder is created
   * @param tries write attempts before spooling (at least 1)
   * @param backoff wait before the second try, doubled for each further try
   */
  public ResilientRecorder(CostStore store, Path spoolFile, int tries, Duration backoff, Listener listener) {
    if (tries < 1) {
      throw new IllegalArgumentException("tries must be at least 1");
    }
    this.store = store;
    this.spoolFile = spoolFile;
    this.tries = tries;
    this.backoff = backoff;
    this.listener = listener;
  }

  @Override
  public void record(AttemptCost attempt) {
    List<StepRow> rows = CostStore.rows(attempt);
    RuntimeException last = null;
    for (int i = 0; i < tries; i++) {
      try {
        store.writeRows(rows);
        return;
      } catch (RuntimeException e) {
        last = e;
        if (i + 1 < tries) {
          sleep(backoff.multipliedBy(1L << i));
        }
      }
    }
    boolean spooled = spool(rows);
    if (spooled) {
      log.warn("Cost of {} kept in spool {} after {} failed writes: {}", describe(attempt), spoolFile, tries, last.getMessage());
    } else {
      log.error("Cost of {} could not be written nor spooled: {}", describe(attempt), last.getMessage(), last);
    }
    listener.writeFailed(attempt, last, spooled);
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
        Files.move(tmp, spoolFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      log.error("Cannot rewrite cost spool {}: {}", spoolFile, e.getMessage());
    }
    if (written > 0) {
      log.info("Wrote {} spooled attempt(s) from {}; {} still pending", written, spoolFile, remaining.size());
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
          FileChannel.open(spoolFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
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
