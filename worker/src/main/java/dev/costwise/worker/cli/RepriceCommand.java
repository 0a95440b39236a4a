package dev.costwise.worker.cli;

import dev.costwise.pricing.Money;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.store.CostStore;
import dev.costwise.store.Repricer;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code costwise reprice --from 2026-10-01 --to 2026-10-31 [--price-file F] [--apply]}: prices the
 * stored lines of a period again with another catalog and prints the differences per model and in
 * total; {@code --apply} writes the corrections.
 */
@Command(
    name = "reprice",
    mixinStandardHelpOptions = true,
    description = {
      "Prices the stored cost lines of attempts that started between --from and --to (UTC days,",
      "both included) again, with the bundled catalog and the price file, at the prices in force",
      "when each attempt started, and prints the differences per model and in total.",
      "Nothing is written unless --apply is given: then each changed line is rewritten, its old",
      "figure and catalog kept in cost_correction, and execution totals and daily rollups move by",
      "the exact difference in the same transaction. Running it again changes nothing."
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {
      "0:done",
      "1:the database could not be reached",
      "2:bad arguments or price file"
    })
public final class RepriceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin DatabaseOptions database;
  @Mixin PricingOptions pricing;

  @Option(names = "--from", required = true, paramLabel = "DAY", description = "First day (UTC).")
  LocalDate from;

  @Option(names = "--to", required = true, paramLabel = "DAY", description = "Last day (UTC).")
  LocalDate to;

  @Option(names = "--apply", description = "Write the corrections (default: dry run).")
  boolean apply;

  @Override
  public Integer call() {
    if (to.isBefore(from)) {
      throw new ParameterException(spec.commandLine(), "--to must not be before --from");
    }
    PriceCatalog catalog = pricing.catalog().get();
    Repricer.Result r =
        new Repricer(new CostStore(database.jdbi()))
            .reprice(
                from.atStartOfDay(ZoneOffset.UTC).toInstant(),
                to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant(),
                catalog,
                apply);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "Catalog %s (as of %s, %s)%n",
        catalog.version().source(), catalog.version().asOf(), catalog.version().hash());
    out.printf(
        "%-44s %8s %8s %16s %16s %16s%n",
        "model", "lines", "changed", "recorded", "repriced", "difference");
    for (Repricer.ModelDifference m : r.byModel()) {
      out.printf(
          "%-44s %8d %8d %16s %16s %16s%n",
          m.model().length() > 44 ? m.model().substring(0, 43) + "…" : m.model(),
          m.lines(),
          m.changed(),
          usd(m.before()),
          usd(m.after()),
          signed(m.difference()));
    }
    out.printf(
        "%-44s %8d %8d %16s %16s %16s%n",
        "total", r.lines(), r.changed(), usd(r.before()), usd(r.after()), signed(r.difference()));
    if (r.newlyPriced() > 0 || r.newlyUnpriced() > 0) {
      out.printf(
          "%d line(s) newly priced, %d line(s) no longer priceable with this catalog%n",
          r.newlyPriced(), r.newlyUnpriced());
    }
    out.println(
        apply
            ? "Applied: " + r.changed() + " line(s) corrected; old figures kept in cost_correction."
            : "Dry run: nothing written; add --apply to write the corrections.");
    return 0;
  }

  private static String usd(BigDecimal v) {
    return "$" + Money.plain(v);
  }

  private static String signed(BigDecimal v) {
    return (v.signum() > 0 ? "+$" : v.signum() < 0 ? "-$" : "$") + Money.plain(v.abs());
  }
}
