package dev.costwise.worker.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.report.CostDriver;
import dev.costwise.report.CostReports;
import dev.costwise.report.ExecutionReport;
import dev.costwise.report.GroupBy;
import dev.costwise.report.Period;
import dev.costwise.report.PeriodTotal;
import dev.costwise.report.StepComparison;
import dev.costwise.report.UnpricedUsage;
import dev.costwise.store.CostStore;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code costwise report}: what runs cost, per execution and over periods. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Reports recorded cost: one execution against its estimate, or totals over days and months.",
      "Period reports read the daily rollup; dates are UTC days, --to is exclusive."
    },
    subcommands = {
      ReportCommand.Execution.class,
      ReportCommand.Totals.class,
      ReportCommand.Top.class,
      ReportCommand.Unpriced.class,
      ReportCommand.Steps.class
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {"0:help shown", "2:no or unknown subcommand, or unknown option"})
public final class ReportCommand {

  /** Options shared by every report: database and output format. */
  static final class Common {
    @Mixin DatabaseOptions database;

    @Option(
        names = "--format",
        defaultValue = "table",
        converter = FormatConverter.class,
        description = "table, csv or json (default: table).")
    OutputFormat format;
  }

  /** Parses the format case-insensitively. */
  static final class FormatConverter implements picocli.CommandLine.ITypeConverter<OutputFormat> {
    @Override
    public OutputFormat convert(String value) {
      try {
        return OutputFormat.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(
            "use table, csv or json, not '" + value + "'");
      }
    }
  }

  /** A date range defaulting to the current UTC month. */
  static final class Range {
    @Option(
        names = "--from",
        paramLabel = "DATE",
        description = "First UTC day, e.g. 2026-11-01 (default: start of this month).")
    LocalDate from;

    @Option(
        names = "--to",
        paramLabel = "DATE",
        description = "Day after the last, exclusive (default: start of next month).")
    LocalDate to;

    LocalDate from() {
      return from != null ? from : LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1);
    }

    LocalDate to() {
      return to != null ? to : from().withDayOfMonth(1).plusMonths(1);
    }
  }

  static <T> T withReports(DatabaseOptions db, Function<CostReports, T> body) {
    try (HikariDataSource ds = db.open()) {
      return body.apply(new CostReports(CostStore.jdbi(ds)));
    }
  }

  /** {@code costwise report execution RUN_ID}. */
  @Command(
      name = "execution",
      mixinStandardHelpOptions = true,
      description = "One run: estimated, actual and variance, per step.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:reported",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad usage: unknown option, missing or bad value, no database given",
        "3:no cost recorded for RUN_ID"
      })
  static final class Execution implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;

    @Parameters(paramLabel = "RUN_ID", description = "The run to report.")
    String runId;

    @Override
    public Integer call() {
      ExecutionReport r =
          withReports(common.database, reports -> reports.execution(runId)).orElse(null);
      if (r == null) {
        spec.commandLine()
            .getErr()
            .println("costwise report execution: no cost recorded for run " + runId);
        return 3;
      }
      PrintWriter out = spec.commandLine().getOut();
      List<String> header =
          List.of(
              "activity_type",
              "provider",
              "model",
              "attempts",
              "actual_usd",
              "unpriced",
              "source",
              "estimated_low_usd",
              "estimated_usd",
              "estimated_high_usd",
              "variance_usd");
      List<List<String>> rows = new ArrayList<>();
      for (StepComparison s : r.steps()) {
        rows.add(
            List.of(
                s.activityType(),
                s.provider(),
                s.model(),
                Long.toString(s.attempts()),
                OutputFormat.plain(s.actualUsd()),
                Long.toString(s.unpricedUsageCount()),
                s.source() == null ? "" : s.source(),
                OutputFormat.plain(s.estimatedLowUsd()),
                OutputFormat.plain(s.estimatedUsd()),
                OutputFormat.plain(s.estimatedHighUsd()),
                OutputFormat.plain(s.varianceUsd())));
      }
      if (common.format == OutputFormat.TABLE) {
        out.printf(
            "run        %s (%s, workflow id %s)%n", r.runId(), r.workflowType(), r.workflowId());
        out.printf(
            "actual     $%s (%d usage records, %d unpriced)%n",
            OutputFormat.plain(r.actualUsd()), r.usageCount(), r.unpricedUsageCount());
        if (r.estimateId() != null) {
          out.printf(
              "estimated  $%s (low $%s, high $%s; estimate %s)%n",
              OutputFormat.plain(r.estimatedUsd()),
              OutputFormat.plain(r.estimatedLowUsd()),
              OutputFormat.plain(r.estimatedHighUsd()),
              r.estimateId());
          out.printf(
              "variance   $%s (%s%%)%n",
              OutputFormat.plain(r.varianceUsd()),
              r.variancePercent() == null ? "n/a" : r.variancePercent().toPlainString());
        } else {
          out.println("estimated  (no estimate linked to this run)");
        }
        out.println();
      }
      common.format.print(out, header, rows, r);
      return 0;
    }
  }

  /** {@code costwise report totals}. */
  @Command(
      name = "totals",
      mixinStandardHelpOptions = true,
      description = "Daily or monthly totals grouped by one dimension.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:reported",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad usage: unknown option, missing or bad value, no database given"
      })
  static final class Totals implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;
    @Mixin Range range;

    @Option(
        names = "--period",
        defaultValue = "month",
        description = "day or month (default: month).")
    String period;

    @Option(
        names = "--group-by",
        defaultValue = "model",
        description =
            "none, model, provider, workflow-type, activity-type, task-queue, namespace, root-run,"
                + " tenant or tag:NAME (default: model). namespace, root-run and tags other than"
                + " tenant are summed from the step lines.")
    String groupBy;

    @Override
    public Integer call() {
      Period p = Period.parse(period);
      GroupBy d = GroupBy.parse(groupBy);
      List<PeriodTotal> totals =
          withReports(common.database, r -> r.totals(p, range.from(), range.to(), d));
      List<List<String>> rows = new ArrayList<>();
      for (PeriodTotal t : totals) {
        rows.add(
            List.of(
                t.periodStart().toString(),
                t.group(),
                OutputFormat.plain(t.costUsd()),
                Long.toString(t.usageCount()),
                Long.toString(t.unpricedUsageCount()),
                Long.toString(t.inputTokens()),
                Long.toString(t.outputTokens()),
                Long.toString(t.images()),
                OutputFormat.plain(t.videoSeconds()),
                Long.toString(t.characters()),
                OutputFormat.plain(t.audioSeconds())));
      }
      common.format.print(
          spec.commandLine().getOut(),
          List.of(
              p.name().toLowerCase(java.util.Locale.ROOT),
              d.label(),
              "cost_usd",
              "usage_count",
              "unpriced_count",
              "input_tokens",
              "output_tokens",
              "images",
              "video_seconds",
              "characters",
              "audio_seconds"),
          rows,
          totals);
      return 0;
    }
  }

  /** {@code costwise report top}. */
  @Command(
      name = "top",
      mixinStandardHelpOptions = true,
      description = "The groups that cost the most over a range.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:reported",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad usage: unknown option, missing or bad value, no database given"
      })
  static final class Top implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;
    @Mixin Range range;

    @Option(
        names = "--group-by",
        defaultValue = "model",
        description = "What to rank, as for 'report totals' (default: model).")
    String groupBy;

    @Option(names = "--limit", defaultValue = "10", description = "How many (default: 10).")
    int limit;

    @Override
    public Integer call() {
      GroupBy d = GroupBy.parse(groupBy);
      List<CostDriver> drivers =
          withReports(common.database, r -> r.topDrivers(range.from(), range.to(), d, limit));
      List<List<String>> rows = new ArrayList<>();
      for (CostDriver c : drivers) {
        rows.add(
            List.of(
                c.group(),
                OutputFormat.plain(c.costUsd()),
                c.sharePercent().toPlainString(),
                Long.toString(c.usageCount()),
                Long.toString(c.unpricedUsageCount())));
      }
      common.format.print(
          spec.commandLine().getOut(),
          List.of(d.label(), "cost_usd", "share_percent", "usage_count", "unpriced_count"),
          rows,
          drivers);
      return 0;
    }
  }

  /** {@code costwise report unpriced}. */
  @Command(
      name = "unpriced",
      mixinStandardHelpOptions = true,
      description = "Usage that could not be priced, per model.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:reported",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad usage: unknown option, missing or bad value, no database given"
      })
  static final class Unpriced implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;
    @Mixin Range range;

    @Override
    public Integer call() {
      List<UnpricedUsage> unpriced =
          withReports(common.database, r -> r.unpriced(range.from(), range.to()));
      List<List<String>> rows = new ArrayList<>();
      for (UnpricedUsage u : unpriced) {
        rows.add(
            List.of(
                u.provider(),
                u.model(),
                Long.toString(u.unpricedUsageCount()),
                Long.toString(u.usageCount())));
      }
      common.format.print(
          spec.commandLine().getOut(),
          List.of("provider", "model", "unpriced_count", "usage_count"),
          rows,
          unpriced);
      return 0;
    }
  }

  /** {@code costwise report steps}: every recorded line of a range as CSV. */
  @Command(
      name = "steps",
      mixinStandardHelpOptions = true,
      description =
          "Every recorded usage line in a range, as CSV: the same columns, in the same order,"
              + " as /api/steps.csv.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:reported",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad usage: unknown option, missing or bad value, no database given"
      })
  static final class Steps implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions database;
    @Mixin Range range;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      withReports(
          database,
          r ->
              r.stepsCsv(
                  range.from().atStartOfDay(ZoneOffset.UTC).toInstant(),
                  range.to().atStartOfDay(ZoneOffset.UTC).toInstant(),
                  out));
      out.flush();
      return 0;
    }
  }
}
