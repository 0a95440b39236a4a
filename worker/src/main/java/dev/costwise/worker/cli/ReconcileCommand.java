package dev.costwise.worker.cli;

import dev.costwise.audit.InvoiceCsv;
import dev.costwise.audit.InvoiceException;
import dev.costwise.audit.InvoiceLine;
import dev.costwise.audit.Reconciliation;
import dev.costwise.pricing.Money;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code costwise reconcile --invoice FILE [--provider P]}: compares a provider's exported cost CSV
 * with what was recorded on the same days and prints the gap per model and day.
 */
@Command(
    name = "reconcile",
    mixinStandardHelpOptions = true,
    description = {
      "Compares a provider's exported cost CSV with the cost recorded for the same days (UTC)",
      "and prints the gap per model and day, and in total.",
      "The CSV needs a header naming a day column (date, day, usage_date, start_time, start_date),",
      "a model column (model, model_name, model_id) and a cost column in US dollars (cost_usd,",
      "cost, amount, amount_usd, amount_value); input_tokens and output_tokens are optional,",
      "other columns are ignored. Invoice model names are resolved through the catalog."
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {
      "0:compared (gaps or not)",
      "1:the database could not be reached",
      "2:the file cannot be read or is not a cost export, or bad arguments"
    })
public final class ReconcileCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin DatabaseOptions database;
  @Mixin PricingOptions pricing;

  @Option(names = "--invoice", required = true, paramLabel = "FILE", description = "Cost CSV.")
  Path invoice;

  @Option(
      names = "--provider",
      paramLabel = "NAME",
      description =
          "Count only lines recorded for this provider (default: only models the file names).")
  String provider;

  @Override
  public Integer call() {
    List<InvoiceLine> lines;
    try (Reader in = Files.newBufferedReader(invoice, StandardCharsets.UTF_8)) {
      lines = InvoiceCsv.read(in, invoice.getFileName().toString());
    } catch (IOException e) {
      throw new ParameterException(
          spec.commandLine(), "Cannot read " + invoice + ": " + e.getClass().getSimpleName());
    } catch (InvoiceException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (lines.isEmpty()) {
      throw new ParameterException(spec.commandLine(), invoice + " has no cost lines");
    }
    Reconciliation.Result r =
        Reconciliation.compare(database.jdbi(), lines, pricing.catalog().get(), provider);
    PrintWriter out = spec.commandLine().getOut();
    out.printf("Period %s to %s%n", r.from(), r.to());
    out.printf("%-10s  %-40s %14s %14s %14s%n", "day", "model", "invoiced", "recorded", "gap");
    for (Reconciliation.Gap g : r.gaps()) {
      out.printf(
          "%-10s  %-40s %14s %14s %14s%n",
          g.day(),
          g.model().length() > 40 ? g.model().substring(0, 39) + "…" : g.model(),
          usd(g.invoiced()),
          usd(g.recorded()),
          signed(g.difference()));
    }
    out.printf(
        "%-10s  %-40s %14s %14s %14s%n",
        "total", "", usd(r.invoiced()), usd(r.recorded()), signed(r.difference()));
    return 0;
  }

  private static String usd(BigDecimal v) {
    return "$" + Money.plain(v);
  }

  private static String signed(BigDecimal v) {
    return (v.signum() > 0 ? "+$" : v.signum() < 0 ? "-$" : "$") + Money.plain(v.abs());
  }
}
