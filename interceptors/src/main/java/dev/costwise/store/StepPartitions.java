package dev.costwise.store;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * The monthly partitions of {@code cost_step} (by {@code started_at}, UTC calendar months, named
 * {@code cost_step_yYYYYmMM}, see migration V6). The store creates the month of every row it writes
 * before writing it, and the next months ahead on its first write; {@code costwise retention} drops
 * whole months. Partition names are the one piece of SQL built from values: they are computed from
 * a {@link YearMonth}, checked against {@link #NAME}, and quoted.
 */
public final class StepPartitions {
  /** Names of the partitions this class manages. */
  public static final Pattern NAME = Pattern.compile("cost_step_y(\\d{4})m(\\d{2})");

  /** Months created ahead of the current one. */
  public static final int AHEAD = 3;

  /** Advisory lock held while creating partitions ("costpart" in ASCII). */
  static final long LOCK_KEY = 0x636f737470617274L;

  private final Jdbi jdbi;
  private final Set<YearMonth> present = ConcurrentHashMap.newKeySet();
  private volatile boolean aheadDone;

  /** The partitions of the cost schema behind {@code jdbi}. */
  public StepPartitions(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** The UTC month a start time falls in, hence the partition of its rows. */
  public static YearMonth monthOf(Instant startedAt) {
    return YearMonth.from(startedAt.atZone(ZoneOffset.UTC));
  }

  /** The name of the partition of {@code month}. */
  public static String name(YearMonth month) {
    if (month.getYear() < 1000 || month.getYear() > 9999) {
      throw new IllegalArgumentException("no partition for the year " + month.getYear());
    }
    String name = String.format("cost_step_y%04dm%02d", month.getYear(), month.getMonthValue());
    if (!NAME.matcher(name).matches()) {
      throw new IllegalStateException("bad partition name " + name);
    }
    return name;
  }

  /** Makes sure the rows of these months (and the months ahead of now) have a partition. */
  void ensure(Collection<YearMonth> months) {
    List<YearMonth> missing = new ArrayList<>();
    if (!aheadDone) {
      YearMonth now = YearMonth.now(ZoneOffset.UTC);
      for (int i = 0; i <= AHEAD; i++) {
        missing.add(now.plusMonths(i));
      }
    }
    for (YearMonth m : months) {
      if (!present.contains(m)) {
        missing.add(m);
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    create(new TreeSet<>(missing));
    aheadDone = true;
  }

  /** Forgets what it knows exists (after a partition was dropped under it). */
  void forget() {
    present.clear();
    aheadDone = false;
  }

  private void create(Collection<YearMonth> months) {
    jdbi.useTransaction(
        h -> {
          // one creator at a time across workers: CREATE ... IF NOT EXISTS alone can still race
          h.createQuery("SELECT pg_advisory_xact_lock(:key)::text")
              .bind("key", LOCK_KEY)
              .mapTo(String.class)
              .one();
          Set<String> existing = new TreeSet<>(partitionNames(h));
          for (YearMonth m : months) {
            String name = name(m);
            if (!existing.contains(name)) {
              LocalDate from = m.atDay(1);
              LocalDate to = m.plusMonths(1).atDay(1);
              h.execute(
                  "CREATE TABLE IF NOT EXISTS \""
                      + name
                      + "\" PARTITION OF cost_step FOR VALUES FROM ('"
                      + from
                      + " 00:00:00+00') TO ('"
                      + to
                      + " 00:00:00+00')");
            }
          }
        });
    present.addAll(months);
  }

  private static List<String> partitionNames(org.jdbi.v3.core.Handle h) {
    return h.createQuery(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = CAST('cost_step' AS regclass) ORDER BY c.relname
            """)
        .mapTo(String.class)
        .list();
  }

  /** One monthly partition. */
  public record Partition(String name, YearMonth month) {
    /** The first instant after the partition's range. */
    public Instant end() {
      return month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
  }

  /** The monthly partitions there are, oldest first (others, if any, are left out). */
  public List<Partition> list() {
    return jdbi.withHandle(
        h -> {
          List<Partition> out = new ArrayList<>();
          for (String n : partitionNames(h)) {
            Matcher m = NAME.matcher(n);
            if (m.matches()) {
              YearMonth month =
                  YearMonth.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
              if (name(month).equals(n)) {
                out.add(new Partition(n, month));
              }
            }
          }
          return out;
        });
  }

  /**
   * Drops every monthly partition whose whole range ends at or before {@code cutoff}, and returns
   * them. Execution totals and daily rollups are not touched.
   */
  public List<Partition> dropEndingBy(Instant cutoff) {
    List<Partition> dropped = new ArrayList<>();
    for (Partition p : list()) {
      if (!p.end().isAfter(cutoff)) {
        jdbi.useHandle(h -> h.execute("DROP TABLE IF EXISTS \"" + name(p.month()) + "\""));
        present.remove(p.month());
        dropped.add(p);
      }
    }
    return dropped;
  }
}
