package dev.costwise.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead journal of usage observed by attempts still running. Each usage record is
 * appended the moment it is recorded (the operating system has it at once, so a killed worker keeps
 * it; a background thread forces it to disk every few milliseconds), and the attempt's end is
 * appended once its cost is durable elsewhere. What a new worker finds without an end belongs to
 * attempts its predecessor was running when it died.
 *
 * <p>The file is rewritten with only the open attempts once it grows past a few megabytes, so it
 * stays small however long the worker runs.
 */
final class AttemptJournal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AttemptJournal.class);
  static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(LegacyStepRows.module())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .setSerializationInclusion(JsonInclude.Include.NON_NULL);
  private static final long ROLL_BYTES = 4L << 20;
  private static final long SYNC_MILLIS = 5;

  /** One journal line: a usage record observed, or the end of an attempt. */
  record Entry(StepRow observed, String ended) {}

  private final Path file;
  private final Map<String, List<StepRow>> open = new LinkedHashMap<>();
  private final Thread syncer;
  private volatile java.io.FileOutputStream channel;
  private long size;
  private volatile boolean dirty;
  private volatile boolean closed;
  private boolean broken;

  /** Opens {@code file} for appending; read {@link #unfinished} before, since it starts empty. */
  AttemptJournal(Path file) {
    this.file = file;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      // streams, not channels: an activity thread interrupted while it records must not close the
      // journal for every other attempt
      channel = new java.io.FileOutputStream(file.toFile(), false);
      channel.getFD().sync();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open the cost journal " + file, e);
    }
    syncer = new Thread(this::syncLoop, "costwise-journal-sync");
    syncer.setDaemon(true);
    syncer.start();
  }

  /** Key of an attempt in the journal. */
  static String key(StepRow r) {
    return r.runId() + "\u0000" + r.activityId() + "\u0000" + r.attempt();
  }

  /**
   * The attempts {@code file} saw start but not end, each as its rows in line order (the journal of
   * a worker that died). Unreadable lines (a torn last write) are skipped.
   */
  static Map<String, List<StepRow>> unfinished(Path file) {
    Map<String, Map<Integer, StepRow>> seen = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return Map.of();
    }
    try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
      lines.forEach(
          line -> {
            if (line.isBlank()) {
              return;
            }
            Entry e;
            try {
              e = JSON.readValue(line, Entry.class);
            } catch (IOException torn) {
              log.warn("Skipping an unreadable line of the cost journal {}", file);
              return;
            }
            if (e.observed() != null) {
              seen.computeIfAbsent(key(e.observed()), k -> new LinkedHashMap<>())
                  .put(e.observed().lineNo(), e.observed());
            } else if (e.ended() != null) {
              seen.remove(e.ended());
            }
          });
    } catch (IOException | UncheckedIOException e) {
      log.error("Cannot read the cost journal {}: {}", file, e.getMessage());
    }
    Map<String, List<StepRow>> result = new LinkedHashMap<>();
    seen.forEach((k, rows) -> result.put(k, List.copyOf(rows.values())));
    return result;
  }

  /**
   * Appends one usage record of a running attempt. Never throws: a failure is logged once. The line
   * is encoded before the journal's lock is taken, so concurrent attempts share only the write.
   */
  void observed(StepRow row) {
    byte[] line = encode(new Entry(row, null));
    synchronized (this) {
      if (line == null) {
        broken = true;
        return;
      }
      open.computeIfAbsent(key(row), k -> new ArrayList<>()).add(row);
      append(line);
    }
  }

  /** Appends the end of an attempt whose cost is now durable in the database or the spool. */
  void ended(String key) {
    byte[] line = encode(new Entry(null, key));
    synchronized (this) {
      if (open.remove(key) == null || line == null) {
        return;
      }
      append(line);
      if (size > ROLL_BYTES) {
        roll();
      }
    }
  }

  /** The entry as one line of UTF-8 JSON, or null (logged) if it cannot be written as JSON. */
  private byte[] encode(Entry e) {
    try {
      return (JSON.writeValueAsString(e) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException ex) {
      log.error("Cannot write a cost journal entry of {} as JSON: {}", file, ex.getMessage());
      return null;
    }
  }

  /** Attempts observed and not yet ended. */
  synchronized int openAttempts() {
    return open.size();
  }

  private void append(byte[] line) {
    if (closed || broken) {
      return;
    }
    try {
      channel.write(line);
      size += line.length;
      dirty = true;
    } catch (IOException ex) {
      broken = true;
      log.error(
          "Cannot append to the cost journal {} ({}); usage of running attempts is no longer kept"
              + " against a worker crash",
          file,
          ex.getMessage());
    }
  }

  /** Rewrites the journal with only the open attempts. */
  private void roll() {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    try (java.io.FileOutputStream out = new java.io.FileOutputStream(next.toFile(), false)) {
      long written = 0;
      for (List<StepRow> rows : open.values()) {
        for (StepRow r : rows) {
          byte[] line =
              (JSON.writeValueAsString(new Entry(r, null)) + "\n").getBytes(StandardCharsets.UTF_8);
          out.write(line);
          written += line.length;
        }
      }
      out.getFD().sync();
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      java.io.FileOutputStream old = channel;
      channel = new java.io.FileOutputStream(file.toFile(), true);
      old.close();
      size = written;
    } catch (IOException e) {
      log.warn("Cannot compact the cost journal {}: {}", file, e.getMessage());
    }
  }

  private void syncLoop() {
    while (!closed) {
      try {
        Thread.sleep(SYNC_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      if (dirty) {
        dirty = false;
        try {
          channel.getFD().sync(); // outside the lock: appends go on while the disk syncs
        } catch (IOException e) {
          log.debug("journal sync failed: {}", e.getMessage()); // closed by a roll: synced there
        }
      }
    }
  }

  /**
   * Closes the journal. With no attempt open it is emptied; otherwise it keeps them for the next
   * start, which records them as interrupted.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.getFD().sync();
      channel.close();
      if (open.isEmpty()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      log.warn("Cannot close the cost journal {}: {}", file, e.getMessage());
    }
  }
}
