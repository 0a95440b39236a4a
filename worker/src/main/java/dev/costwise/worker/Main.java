package dev.costwise.worker;

import dev.costwise.worker.cli.BudgetCommand;
import dev.costwise.worker.cli.CatalogCommand;
import dev.costwise.worker.cli.DecimalConverter;
import dev.costwise.worker.cli.DemoCommand;
import dev.costwise.worker.cli.EstimateCommand;
import dev.costwise.worker.cli.PriceCommand;
import dev.costwise.worker.cli.ReconcileCommand;
import dev.costwise.worker.cli.RejectedCommand;
import dev.costwise.worker.cli.ReportCommand;
import dev.costwise.worker.cli.RepriceCommand;
import dev.costwise.worker.cli.RetentionCommand;
import dev.costwise.worker.cli.RunCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code costwise} command line: the worker and the tools around it. */
@Command(
    name = "costwise",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Cost tracking for AI workflows on Temporal.",
    exitCodeListHeading = "Exit status (each command's --help lists its own):%n",
    exitCodeList = {
      "0:done, or help or version shown",
      "1:a service could not be reached, or a failure while doing it",
      "2:bad usage: unknown command or option, bad value, bad configuration or price file"
    },
    subcommands = {
      RunCommand.class,
      DemoCommand.class,
      PriceCommand.class,
      CatalogCommand.class,
      BudgetCommand.class,
      EstimateCommand.class,
      ReportCommand.class,
      RejectedCommand.class,
      RetentionCommand.class,
      RepriceCommand.class,
      ReconcileCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status; for tests and embedding. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line, with errors printed as one line rather than a stack trace. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    CliErrors errors = new CliErrors();
    cli.setExecutionExceptionHandler(errors);
    cli.setParameterExceptionHandler(errors);
    cli.registerConverter(java.math.BigDecimal.class, new DecimalConverter());
    return cli;
  }

  /** The version from the jar manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"costwise " + (v == null ? "development" : v)};
    }
  }
}
