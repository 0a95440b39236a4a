package dev.costwise.worker.cli;

import dev.costwise.store.CostStore;
import dev.costwise.store.StepPartitions;
import dev.costwise.store.StepPartitions.Partition;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code costwise retention --keep 13m}: drops whole monthly partitions of the step lines older
 * than the period kept. Execution totals and daily rollups are kept, so reports and limits over
 * those months still add up; only the per-attempt lines go.
 */
@Command(
    name = "retention",
    mixinStandardHelpOptions = true,
    description = {
      "Drops the per-attempt cost lines (cost_step) of whole months older than --keep.",
      "A month goes only once all of it is older than the period kept. Execution totals and",
      "daily rollups stay, so period reports, budgets and run totals are unchanged."
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {
      "0:done (or nothing to drop)",
      "1:the database could not be reached",
      "2:bad arguments"
    })
public final class RetentionCommand implements Callable<Integer> {
  private static final Pattern PERIOD = Pattern.compile("(\\d{1,4})([md])");

  @Spec CommandSpec spec;
  @Mixin DatabaseOptions database;

  @Option(
      names = "--keep",
      required = true,
      paramLabel = "PERIOD",
      description = "How much to keep: months (13m) or days (400d); at least 1m or 28d.")
  String keep;

  @Option(names = "--dry-run", description = "List what would be dropped; drop nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    Instant cutoff = cutoff(Instant.now());
    PrintWriter out = spec.commandLine().getOut();
    StepPartitions partitions = new CostStore(database.jdbi()).partitions();
    List<Partition> gone;
    if (dryRun) {
      gone = partitions.list().stream().filter(p -> !p.end().isAfter(cutoff)).toList();
    } else {
      gone = partitions.dropEndingBy(cutoff);
    }
    for (Partition p : gone) {
      out.printf("%s %s (%s)%n", dryRun ? "Would drop" : "Dropped", p.month(), p.name());
    }
    out.printf(
        "%s %d month(s) of cost lines ending by %s; totals and rollups kept.%n",
        dryRun ? "Would drop" : "Dropped", gone.size(), cutoff);
    return 0;
  }

  /** The instant before which whole months are dropped: now minus the period kept. */
  Instant cutoff(Instant now) {
    Matcher m = PERIOD.matcher(keep == null ? "" : keep.strip());
    if (!m.matches()) {
      throw new ParameterException(
          spec.commandLine(), "--keep must be a number of months or days, like 13m or 400d");
    }
    int n = Integer.parseInt(m.group(1));
    boolean months = m.group(2).equals("m");
    if (months ? n < 1 : n < 28) {
      throw new ParameterException(spec.commandLine(), "--keep must be at least 1m or 28d");
    }
    ZonedDateTime t = now.atZone(ZoneOffset.UTC);
    return (months ? t.minusMonths(n) : t.minusDays(n)).toInstant();
  }
}
