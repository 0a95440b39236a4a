package dev.costwise.worker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.costwise.budget.BudgetPeriod;
import dev.costwise.budget.BudgetScope;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.budget.Budgets;
import dev.costwise.budget.PeriodBudget;
import dev.costwise.budget.Threshold;
import dev.costwise.pricing.Money;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code costwise budget}: manages period budgets and shows how much of each is used. */
@Command(
    name = "budget",
    mixinStandardHelpOptions = true,
    description =
        "Manages period budgets (daily, weekly, monthly; UTC) and shows their utilisation.",
    subcommands = {
      BudgetCommand.Create.class,
      BudgetCommand.ListBudgets.class,
      BudgetCommand.Delete.class,
      BudgetCommand.Status.class
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {"0:help shown", "2:unknown subcommand or option"})
public final class BudgetCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** {@code costwise budget create}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Creates a period budget with its thresholds.",
        "Example: costwise budget create --name acme-monthly --period monthly --scope tag=tenant:acme "
            + "--limit-usd 500 --threshold 80:notify --threshold 90:notify --threshold 100:block"
      },
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:created",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad option or value, a budget with that name exists, or no database given"
      })
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions database;

    @Option(names = "--name", required = true, description = "Unique budget name.")
    String name;

    @Option(
        names = "--period",
        required = true,
        description = "daily, weekly (from Monday) or monthly, in UTC.")
    String period;

    @Option(
        names = "--scope",
        required = true,
        description = "workflow-type=<type>, task-queue=<queue> or tag=<name>:<value>.")
    String scope;

    @Option(
        names = "--limit-usd",
        required = true,
        description = "Spending limit per period in USD.")
    BigDecimal limitUsd;

    @Option(
        names = "--threshold",
        required = true,
        description =
            "<percent>:notify or <percent>:block; repeat, e.g. --threshold 80:notify --threshold 100:block.")
    List<String> thresholds;

    @Override
    public Integer call() {
      PeriodBudget budget =
          new PeriodBudget(
              name,
              period(period),
              BudgetScope.parse(scope),
              limitUsd,
              thresholds.stream().map(Threshold::parse).toList());
      new Budgets(database.jdbi()).create(budget);
      spec.commandLine().getOut().printf("Created budget %s: %s%n", name, describe(budget));
      return 0;
    }
  }

  /** {@code costwise budget list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists every period budget.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:done",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad usage: unknown option, missing or bad value, no database given"
      })
  static final class ListBudgets implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions database;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      List<PeriodBudget> budgets = new Budgets(database.jdbi()).list();
      if (budgets.isEmpty()) {
        out.println("No budgets.");
      }
      for (PeriodBudget b : budgets) {
        out.printf("%-24s %s%n", b.name(), describe(b));
      }
      return 0;
    }
  }

  /** {@code costwise budget delete}. */
  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Deletes a budget; its alerts are kept.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:deleted",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:no budget of that name, a bad option, or no database given"
      })
  static final class Delete implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions database;

    @Parameters(paramLabel = "NAME", description = "The budget to delete.")
    String name;

    @Override
    public Integer call() {
      if (!new Budgets(database.jdbi()).delete(name)) {
        throw new IllegalArgumentException(
            "No budget named '" + name + "'; see costwise budget list");
      }
      spec.commandLine().getOut().printf("Deleted budget %s%n", name);
      return 0;
    }
  }

  /** {@code costwise budget status}. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Shows each budget's spend in its current period against its limit.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:done",
        "1:the database cannot be reached, or another failure (the message says what)",
        "2:bad usage: unknown option, missing or bad value, no database given"
      })
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions database;

    @Option(names = "--json", description = "Print JSON (exact decimals) instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      List<BudgetUtilisation> rows = new Budgets(database.jdbi()).utilisation();
      if (json) {
        out.println(JSON.writeValueAsString(rows));
        return 0;
      }
      out.printf(
          "%-24s %-8s %-22s %12s %12s %8s  %s%n",
          "BUDGET", "PERIOD", "SINCE", "SPENT USD", "LIMIT USD", "USED", "REACHED");
      for (BudgetUtilisation u : rows) {
        out.printf(
            "%-24s %-8s %-22s %12s %12s %7s%%  %s%n",
            u.name(),
            u.period().name().toLowerCase(Locale.ROOT),
            u.periodStart(),
            Money.plain(u.spentUsd()),
            Money.plain(u.limitUsd()),
            u.percent().toPlainString(),
            u.reached() == null ? "-" : u.reached() + (u.blocking() ? " (blocking)" : ""));
      }
      return 0;
    }
  }

  private static BudgetPeriod period(String text) {
    try {
      return BudgetPeriod.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Bad period '" + text + "': use daily, weekly or monthly", e);
    }
  }

  private static String describe(PeriodBudget b) {
    return b.period().name().toLowerCase(Locale.ROOT)
        + " $"
        + Money.plain(b.limitUsd())
        + " for "
        + b.scope()
        + ", thresholds "
        + b.thresholds().stream()
            .map(t -> t.label() + " " + t.action().name().toLowerCase(Locale.ROOT))
            .collect(Collectors.joining(", "));
  }
}
