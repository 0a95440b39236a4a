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
 * <p>With write-behind, an attempt's final rows are appended too ({@link #recorded}) and the
 * attempt waits only until a sync covers them ({@link #awaitSynced}; one sync serves every attempt
 * waiting meanwhile); its end is appended once a writer has put the rows in the database or the
 * spool. What a new worker finds recorded without an end is written as recorded. Final rows that
 * are the rows observed, but for the outcome, time and tags the attempt ended with (the usual
 * case), are appended as just those three and a line count ({@link AsObserved}): the rows are in
 * the journal already, and encoding every row a second time was most of what journaling cost.
 *
 * <p>The file is rewritten with only the open attempts once it grows past a few megabytes, so it
 * stays small however long the worker runs. Its space is allocated ahead of the lines, a megabyte
 * at a time (written as zeros, which a reader skips), so that appending does not change the file's
 * size and a sync need only write the new lines ({@code fdatasync}), not the file's size and
 * extents through the file system's own journal as well: under load that took a sync from about
 * 0.45 ms to about 0.3 ms on the 2-core machines Costwise is measured on.
 */
final class AttemptJournal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AttemptJournal.class);
  static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(LegacyStepRows.module())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          // rows are read through a tree (to upgrade older shapes): its decimals must stay exact,
          // not pass through a double, which keeps only about 16 significant digits
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .setNodeFactory(
              com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true))
          .setSerializationInclusion(JsonInclude.Include.NON_NULL);
  private static final long ROLL_BYTES = 4L << 20;
  private static final long SYNC_MILLIS = 5;
  private static final int ALLOCATE_BYTES = 1 << 20;
  private static final byte[] ZEROS = new byte[64 << 10];

  /**
   * One journal line: a usage record observed, an attempt's final rows recorded (write-behind) in
   * full or as the rows observed ({@code recordedAsObserved}), or the end of an attempt.
   */
  record Entry(
      StepRow observed, String ended, List<StepRow> recorded, AsObserved recordedAsObserved) {
    Entry(StepRow observed, String ended) {
      this(observed, ended, null, null);
    }
  }

  /**
   * An attempt's final rows given by reference: lines 0 to {@code lines - 1} as observed for the
   * attempt {@code key}, each with this outcome, recording time and tags (JSON). A journal holds it
   * only after those lines (a roll keeps an attempt's observed lines before its final rows).
   */
  record AsObserved(
      String key, String outcome, java.time.Instant recordedAt, String tags, int lines) {
    /** The final rows, or null when an observed line is missing. */
    List<StepRow> rows(Map<Integer, StepRow> observed) {
      List<StepRow> rows = new ArrayList<>(lines);
      for (int i = 0; i < lines; i++) {
        StepRow o = observed == null ? null : observed.get(i);
        if (o == null) {
          return null;
        }
        rows.add(o.withEnd(outcome, recordedAt, tags));
      }
      return rows;
    }
  }

  /** An observed usage record of an open attempt, and its journal line. */
  private record Observed(StepRow row, byte[] line) {}

  /**
   * A thread waiting in {@link #awaitSynced} until the journal is on disk up to {@code position}.
   */
  private record Waiter(Thread thread, long position) {}

  /**
   * What a journal holds of attempts that never ended: {@code interrupted}, the usage observed of
   * attempts still running (by key, rows in line order); {@code recorded}, the final rows of
   * attempts whose database write had not happened.
   */
  record Unfinished(Map<String, List<StepRow>> interrupted, Map<String, List<StepRow>> recorded) {
    static final Unfinished NONE = new Unfinished(Map.of(), Map.of());
  }

  private final Path file;
  // the journal lines of attempts not yet ended, kept encoded so that a roll only copies bytes
  private final Map<String, List<Observed>> open = new LinkedHashMap<>();
  private final Map<String, byte[]> recordedOpen = new LinkedHashMap<>();
  private final Thread syncer;
  private long appended; // lines appended so far (guarded by this)
  private volatile long synced; // lines known to be on disk (raised under syncedLock)
  private final Object syncedLock = new Object();
  // attempts waiting for their line to be synced, each woken alone once a sync covers it
  private final java.util.concurrent.ConcurrentLinkedQueue<Waiter> waiters =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  // set by an attempt that waits, cleared by the sync thread before it reads what to cover
  private final java.util.concurrent.atomic.AtomicBoolean syncWanted =
      new java.util.concurrent.atomic.AtomicBoolean();
  // written through the file's own methods, which an interrupted thread cannot close; only the sync
  // thread, which nothing interrupts, uses its channel (to force the lines without the metadata)
  private volatile java.io.RandomAccessFile channel;
  private long size; // bytes of lines; the file is longer by the zeros allocated ahead
  private long allocated; // the file's length
  private long rollAt = ROLL_BYTES; // size at which the next roll happens
  private int rolls; // rewrites so far (guarded by this)
  private volatile boolean dirty;
  private volatile boolean closed;
  private boolean broken;

  /** Opens {@code file} for appending; read {@link #unfinished} before, since it starts empty. */
  AttemptJournal(Path file) {
    this.file = file;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      // not a channel: an activity thread interrupted while it records must not close the journal
      // for every other attempt
      channel = new java.io.RandomAccessFile(file.toFile(), "rw");
      channel.setLength(0);
      channel.getFD().sync();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open the cost journal " + file, e);
    }
    syncer = new Thread(this::syncLoop, "costwise-journal-sync");
    syncer.setDaemon(true);
    syncer.start();
  }

  /**
   * Key of an attempt's execution in the journal: its run, activity id, attempt number and start
   * time. A run may reuse an activity id once the activity ended, and with write-behind the next
   * execution can start before the last one's end is appended: without the start time the two
   * shared one key, and the first one's end took the second's lines with it.
   */
  static String key(StepRow r) {
    return r.runId()
        + "\u0000"
        + r.activityId()
        + "\u0000"
        + r.attempt()
        + "\u0000"
        + r.startedAt();
  }

  /**
   * The keys of {@code keys} that {@code ref} names: itself, or (a journal written by a release
   * whose keys had no start time) every execution of that run, activity id and attempt number.
   */
  private static List<String> named(String ref, java.util.Collection<String> keys) {
    if (ref.chars().filter(c -> c == 0).count() != 2) {
      return List.of(ref);
    }
    String prefix = ref + "\u0000";
    return keys.stream().filter(k -> k.startsWith(prefix)).toList();
  }

  /**
   * What {@code file} holds of attempts that never ended: usage of attempts that were running, and
   * final rows recorded but not yet written. Unreadable lines (a torn last write) are skipped.
   */
  static Unfinished read(Path file) {
    Map<String, Map<Integer, StepRow>> seen = new LinkedHashMap<>();
    Map<String, List<StepRow>> recorded = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return Unfinished.NONE;
    }
    try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
      lines.forEach(
          raw -> {
            // zeros are space allocated ahead of the lines (at the end of a journal that was not
            // closed); at the start of a line, a page the disk had not been given yet
            int start = 0;
            while (start < raw.length() && raw.charAt(start) == '\u0000') {
              start++;
            }
            String line = start == 0 ? raw : raw.substring(start);
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
            } else if (e.recorded() != null && !e.recorded().isEmpty()) {
              recorded.put(key(e.recorded().get(0)), List.copyOf(e.recorded()));
            } else if (e.recordedAsObserved() != null) {
              AsObserved a = e.recordedAsObserved();
              List<String> keys = named(a.key(), seen.keySet());
              String k = keys.isEmpty() ? a.key() : keys.get(keys.size() - 1);
              List<StepRow> rows = a.rows(seen.get(k));
              if (rows == null) { // cannot happen but by a damaged file: keep what was observed
                log.warn(
                    "The cost journal {} lacks observed lines an attempt's final rows refer to;"
                        + " the attempt is recorded as interrupted with the lines observed",
                    file);
              } else {
                recorded.put(k, rows);
              }
            } else if (e.ended() != null) {
              named(e.ended(), seen.keySet()).forEach(seen::remove);
              named(e.ended(), recorded.keySet()).forEach(recorded::remove);
            }
          });
    } catch (IOException | UncheckedIOException e) {
      log.error("Cannot read the cost journal {}: {}", file, e.getMessage());
    }
    Map<String, List<StepRow>> interrupted = new LinkedHashMap<>();
    seen.forEach(
        (k, rows) -> {
          if (!recorded.containsKey(k)) { // its final rows say more than what was observed
            interrupted.put(k, List.copyOf(rows.values()));
          }
        });
    return new Unfinished(interrupted, recorded);
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
      open.computeIfAbsent(key(row), k -> new ArrayList<>()).add(new Observed(row, line));
      append(line);
    }
  }

  /**
   * Appends an attempt's final rows (write-behind) and returns the position {@link #awaitSynced}
   * waits for, or -1 when the journal cannot take them (the caller then writes synchronously).
   */
  long recorded(List<StepRow> rows) {
    String key = key(rows.get(0));
    List<Observed> seen;
    synchronized (this) {
      List<Observed> l = open.get(key);
      seen = l == null ? List.of() : List.copyOf(l);
    }
    AsObserved asObserved = asObserved(key, rows, seen);
    byte[] line =
        encode(
            asObserved != null
                ? new Entry(null, null, null, asObserved)
                : new Entry(null, null, rows, null));
    synchronized (this) {
      if (line == null || closed || broken) {
        return -1;
      }
      if (!append(line)) {
        return -1;
      }
      recordedOpen.put(key, line);
      return appended;
    }
  }

  /**
   * {@code rows} as a reference to the lines observed ({@code seen}, in the order appended), or
   * null when they are not those lines but for the outcome, time and tags the attempt ended with.
   */
  private static AsObserved asObserved(String key, List<StepRow> rows, List<Observed> seen) {
    if (seen.size() != rows.size()) {
      return null;
    }
    StepRow first = rows.get(0);
    for (int i = 0; i < rows.size(); i++) {
      StepRow row = rows.get(i);
      StepRow observed = seen.get(i).row();
      if (row.lineNo() != i
          || !row.outcome().equals(first.outcome())
          || !row.recordedAt().equals(first.recordedAt())
          || !java.util.Objects.equals(row.tags(), first.tags())
          || !observed.withEnd(row.outcome(), row.recordedAt(), row.tags()).equals(row)) {
        return null;
      }
    }
    return new AsObserved(key, first.outcome(), first.recordedAt(), first.tags(), rows.size());
  }

  /**
   * Waits until the journal is on disk up to {@code position}; false when it could not be synced
   * within {@code timeout} (the line is then only as safe as the operating system's cache).
   *
   * <p>The waiting attempt wakes the sync thread (once per sync, however many attempts ask) and is
   * woken alone, by the sync that covers its line: a thread waiting for an earlier or a later sync
   * is not woken for nothing. On two busy cores each needless wake-up is a context switch in and
   * out again, and waking every waiting attempt each time another one arrived cost the activity
   * threads more CPU than the sync itself.
   */
  boolean awaitSynced(long position, java.time.Duration timeout) {
    if (synced >= position) {
      return true;
    }
    long until = System.nanoTime() + timeout.toNanos();
    Waiter me = new Waiter(Thread.currentThread(), position);
    waiters.add(me);
    try {
      if (!syncWanted.getAndSet(true)) {
        java.util.concurrent.locks.LockSupport.unpark(syncer);
      }
      while (synced < position && !closed && !broken) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(this, left);
        if (Thread.currentThread().isInterrupted()) {
          return synced >= position;
        }
      }
      return synced >= position;
    } finally {
      waiters.remove(me);
    }
  }

  /** Appends the end of an attempt whose cost is now durable in the database or the spool. */
  void ended(String key) {
    byte[] line = encode(new Entry(null, key));
    synchronized (this) {
      boolean wasOpen = open.remove(key) != null;
      wasOpen |= recordedOpen.remove(key) != null;
      if (!wasOpen || line == null) {
        return;
      }
      append(line);
      if (size > rollAt) {
        roll();
      }
    }
  }

  /** The entry as one line of UTF-8 JSON, or null (logged) if it cannot be written as JSON. */
  private byte[] encode(Entry e) {
    try {
      return JournalLines.encode(e);
    } catch (RuntimeException ex) {
      log.error("Cannot write a cost journal entry of {} as JSON: {}", file, ex.toString());
      return null;
    }
  }

  /** Bytes of lines in the file. */
  synchronized long bytes() {
    return size;
  }

  /** Lines appended so far. */
  synchronized long appendedLines() {
    return appended;
  }

  /** Lines known to be on disk. */
  long syncedLines() {
    return synced;
  }

  /** Times the journal was rewritten with only its open attempts. */
  synchronized int rolls() {
    return rolls;
  }

  /** Attempts observed and not yet ended. */
  synchronized int openAttempts() {
    return open.size();
  }

  private boolean append(byte[] line) {
    if (closed || broken) {
      return false;
    }
    try {
      if (size + line.length > allocated) {
        allocate(size + line.length);
      }
      channel.write(line);
      size += line.length;
      appended++;
      dirty = true;
      return true;
    } catch (IOException ex) {
      broken = true;
      wakeWaiters(Long.MAX_VALUE); // none of them will be synced now
      log.error(
          "Cannot append to the cost journal {} ({}); usage of running attempts is no longer kept"
              + " against a worker crash",
          file,
          ex.getMessage());
      return false;
    }
  }

  /**
   * Extends the file with zeros to at least {@code needed} bytes and a megabyte more, leaving the
   * position at the end of the lines. The next sync covers the new length.
   */
  private void allocate(long needed) throws IOException {
    long to = Math.max(needed, allocated) + ALLOCATE_BYTES;
    channel.seek(allocated);
    for (long at = allocated; at < to; at += ZEROS.length) {
      channel.write(ZEROS, 0, (int) Math.min(ZEROS.length, to - at));
    }
    allocated = to;
    channel.seek(size);
  }

  /** Rewrites the journal with only the open attempts (synced: it covers every line so far). */
  private void roll() {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    try (java.io.FileOutputStream out = new java.io.FileOutputStream(next.toFile(), false)) {
      long written = 0;
      for (List<Observed> lines : open.values()) {
        for (Observed o : lines) {
          out.write(o.line());
          written += o.line().length;
        }
      }
      for (byte[] line : recordedOpen.values()) {
        out.write(line);
        written += line.length;
      }
      out.getFD().sync();
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      java.io.RandomAccessFile old = channel;
      channel = new java.io.RandomAccessFile(file.toFile(), "rw");
      channel.seek(written);
      old.close();
      size = written;
      allocated = written;
      rolls++;
      // what is kept can be as large as the threshold (thousands of attempts waiting for the
      // database): the next roll waits until as much again was appended, so rolls stay rare
      rollAt = Math.max(ROLL_BYTES, 2 * written);
      markSynced(appended);
    } catch (IOException e) {
      log.warn("Cannot compact the cost journal {}: {}", file, e.getMessage());
    }
  }

  /**
   * Forces the journal to disk every few milliseconds while lines are appended, and at once while
   * an attempt waits for its line: one sync covers every line appended before it started.
   */
  private void syncLoop() {
    long every = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(SYNC_MILLIS);
    long due = System.nanoTime() + every;
    while (!closed) {
      // the request is taken before what to cover is read: an attempt asking after this point
      // either has its line covered by this sync or has set the request again for the next one
      if (!syncWanted.getAndSet(false)) {
        long left = due - System.nanoTime();
        if (left > 0) {
          // woken early by a request, or for nothing (a permit left by a request this thread
          // had already served): the request is looked at again before any sync
          java.util.concurrent.locks.LockSupport.parkNanos(this, left);
          if (Thread.interrupted()) {
            return;
          }
          continue;
        }
      }
      due = System.nanoTime() + every;
      if (dirty) {
        long upTo;
        synchronized (this) {
          dirty = false;
          upTo = appended;
        }
        try {
          // outside the lock: appends go on while the disk syncs; the lines only, since appends
          // within the space allocated ahead do not change what reading them back needs
          channel.getChannel().force(false);
          markSynced(upTo);
        } catch (IOException e) {
          log.debug("journal sync failed: {}", e.getMessage()); // closed by a roll: synced there
        }
      }
    }
  }

  private void markSynced(long upTo) {
    synchronized (syncedLock) {
      if (upTo > synced) {
        synced = upTo;
      }
    }
    wakeWaiters(synced);
  }

  /** Wakes the attempts waiting for lines up to {@code upTo}. */
  private void wakeWaiters(long upTo) {
    for (Waiter w : waiters) {
      if (w.position() <= upTo) {
        java.util.concurrent.locks.LockSupport.unpark(w.thread());
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
    java.util.concurrent.locks.LockSupport.unpark(syncer);
    try {
      channel.setLength(size); // the lines, without the space allocated ahead
      channel.getFD().sync();
      markSynced(appended);
      channel.close();
      if (open.isEmpty() && recordedOpen.isEmpty()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      log.warn("Cannot close the cost journal {}: {}", file, e.getMessage());
    }
  }
}
