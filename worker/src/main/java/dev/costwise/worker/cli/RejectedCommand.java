package dev.costwise.worker.cli;

import dev.costwise.pricing.Money;
import dev.costwise.store.CostStore;
import dev.costwise.store.RejectedAttempt;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code costwise rejected}: the cost records PostgreSQL refused as data. Their cost is counted
 * (stored with storable text); the rows as recorded are kept for an operator to look at.
 */
@Command(
    name = "rejected",
    mixinStandardHelpOptions = true,
    description = {
      "Lists and resolves cost records PostgreSQL refused as data (bad bytes, values too long).",
      "Their cost is stored with its text made storable, so totals and limits count it; the rows as",
      "recorded are kept. While any is unresolved, /health reports DEGRADED."
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {"0:help shown", "2:unknown subcommand or option"},
    subcommands = {RejectedCommand.ListRejected.class, RejectedCommand.Resolve.class})
public final class RejectedCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** {@code costwise rejected list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists rejected cost records, newest first.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {"0:listed", "1:the database could not be reached", "2:bad arguments"})
  static final class ListRejected implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions database;

    @Option(names = "--limit", defaultValue = "50", description = "Most rows to show (1-10000).")
    int limit;

    @Option(names = "--original", description = "Also print the rows as recorded (JSON).")
    boolean original;

    @Override
    public Integer call() {
      if (limit < 1 || limit > 10_000) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--limit must be between 1 and 10000, was " + limit);
      }
      PrintWriter out = spec.commandLine().getOut();
      List<RejectedAttempt> rows = new CostStore(database.jdbi()).rejected(limit);
      if (rows.isEmpty()) {
        out.println("No rejected cost records.");
      }
      for (RejectedAttempt r : rows) {
        out.printf(
            "#%d %s run %s activity %s attempt %d  $%s  %s%n    %s%n",
            r.id(),
            r.rejectedAt(),
            r.runId(),
            r.activityId(),
            r.attempt(),
            r.costUsd() == null ? "-" : Money.plain(r.costUsd()),
            r.resolvedAt() == null ? "UNRESOLVED" : "resolved " + r.resolvedAt(),
            r.reason());
        if (original) {
          out.printf("    %s%n", r.original());
        }
      }
      return 0;
    }
  }

  /** {@code costwise rejected resolve}. */
  @Command(
      name = "resolve",
      mixinStandardHelpOptions = true,
      description = "Marks rejected cost records resolved (by id, or --all).",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {"0:resolved", "1:the database could not be reached", "2:bad arguments"})
  static final class Resolve implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions database;

    @Option(names = "--all", description = "Resolve every unresolved record.")
    boolean all;

    @Parameters(arity = "0..*", paramLabel = "ID", description = "Ids from `rejected list`.")
    long[] ids = new long[0];

    @Override
    public Integer call() {
      if (all == (ids.length > 0)) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "give the ids to resolve, or --all");
      }
      int n = new CostStore(database.jdbi()).resolveRejected(all ? new long[0] : ids);
      spec.commandLine().getOut().printf("Resolved %d rejected cost record(s).%n", n);
      return 0;
    }
  }
}
