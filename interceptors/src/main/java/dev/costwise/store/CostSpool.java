package dev.costwise.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local file where attempts wait while PostgreSQL cannot take them: one fsynced JSON line per
 * attempt. It also knows, per run, the spend it holds, so a budget check can count spend that has
 * not reached the database yet.
 *
 * <p>Replay takes the file aside first (an atomic rename), so appends never wait for a replay; a
 * file taken aside by a replay that did not finish is replayed again at the next one (rows are
 * keyed, so this replaces rather than adds).
 */
final class CostSpool {
  private static final Logger log = LoggerFactory.getLogger(CostSpool.class);

  /**
   * One spooled attempt. {@code ifAbsent}: an attempt recovered from the journal of a worker that
   * died, written only if the attempt has no rows yet.
   */
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  record Line(List<StepRow> rows, boolean ifAbsent) {
    String key() {
      return AttemptJournal.key(rows.get(0));
    }

    BigDecimal cost() {
      return costOf(rows);
    }
  }

  /** The priced cost of an attempt's rows. */
  static BigDecimal costOf(List<StepRow> rows) {
    return rows.stream()
        .map(StepRow::costUsd)
        .filter(Objects::nonNull)
        .reduce(BigDecimal.ZERO, BigDecimal::add);
  }

  private final Path file;
  private final Path replaying;
  private final Map<String, Map<String, BigDecimal>> spendByRun = new ConcurrentHashMap<>();

  CostSpool(Path file) {
    this.file = file;
    this.replaying = file.resolveSibling(file.getFileName() + ".replaying");
    for (Path p : List.of(replaying, file)) {
      read(p).forEach(this::remember);
    }
  }

  Path file() {
    return file;
  }

  /** Appends and fsyncs one attempt; false when the disk refused (logged by the caller). */
  synchronized void append(Line line) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    byte[] bytes =
        (AttemptJournal.JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
    // a stream, not a channel: an interrupted caller must not close the file under the write
    try (java.io.FileOutputStream out = new java.io.FileOutputStream(file.toFile(), true)) {
      out.write(bytes);
      out.getFD().sync();
    }
    remember(line);
  }

  /** Keys of the attempts spooled, for telling recovered journal entries apart. */
  java.util.Set<String> keys() {
    java.util.Set<String> keys = new java.util.HashSet<>();
    spendByRun.values().forEach(m -> keys.addAll(m.keySet()));
    return keys;
  }

  /** Spend held here for {@code runId}, not yet in the database. */
  BigDecimal unwrittenUsd(String runId) {
    Map<String, BigDecimal> m = spendByRun.get(runId);
    return m == null
        ? BigDecimal.ZERO
        : m.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
  }

  /** Attempts waiting. */
  int size() {
    return spendByRun.values().stream().mapToInt(Map::size).sum();
  }

  /**
   * Takes what is spooled aside for a replay and returns it; {@link #replayed} or {@link #putBack}
   * settles each line. Lines taken aside by an unfinished earlier replay come first.
   */
  synchronized List<Line> takeForReplay() throws IOException {
    if (Files.exists(file)) {
      if (Files.exists(replaying)) {
        try (java.io.FileOutputStream out =
            new java.io.FileOutputStream(replaying.toFile(), true)) {
          out.write(Files.readAllBytes(file));
          out.getFD().sync();
        }
        Files.delete(file);
      } else {
        Files.move(file, replaying, StandardCopyOption.ATOMIC_MOVE);
      }
    }
    return read(replaying);
  }

  /** Ends a replay: {@code left} (lines that could not be written) go back into the spool. */
  synchronized void finishReplay(List<Line> written, List<Line> left) throws IOException {
    for (Line l : left) {
      append(l);
    }
    Files.deleteIfExists(replaying);
    for (Line l : written) {
      if (!left.contains(l)) {
        forget(l);
      }
    }
  }

  private void remember(Line l) {
    spendByRun
        .computeIfAbsent(l.rows().get(0).runId(), k -> new ConcurrentHashMap<>())
        .put(l.key(), l.cost());
  }

  private void forget(Line l) {
    String run = l.rows().get(0).runId();
    Map<String, BigDecimal> m = spendByRun.get(run);
    if (m != null) {
      m.remove(l.key());
      if (m.isEmpty()) {
        spendByRun.remove(run, m);
      }
    }
  }

  private static List<Line> read(Path p) {
    List<Line> lines = new ArrayList<>();
    if (!Files.exists(p)) {
      return lines;
    }
    List<String> raw;
    try {
      raw = Files.readAllLines(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      log.error("Cannot read cost spool {}: {}", p, e.getMessage());
      return lines;
    }
    for (String s : raw) {
      if (s.isBlank()) {
        continue;
      }
      try {
        Line l =
            s.startsWith("[")
                ? new Line(AttemptJournal.JSON.readValue(s, ROWS), false)
                : AttemptJournal.JSON.readValue(s, Line.class);
        if (l.rows() != null && !l.rows().isEmpty()) {
          lines.add(l);
        }
      } catch (IOException e) {
        log.error("Skipping an unreadable line of cost spool {}: {}", p, e.getMessage());
      }
    }
    return lines;
  }

  private static final com.fasterxml.jackson.core.type.TypeReference<List<StepRow>> ROWS =
      new com.fasterxml.jackson.core.type.TypeReference<>() {};
}
