package dev.costwise.worker.cli;

import dev.costwise.pricing.CatalogFormat;
import dev.costwise.pricing.CatalogHistory;
import dev.costwise.pricing.ModelPrice;
import dev.costwise.pricing.PriceCatalog;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code costwise catalog}: inspect the price catalog and regenerate it from public price data. */
@Command(
    name = "catalog",
    mixinStandardHelpOptions = true,
    description =
        "Inspects the price catalog, or converts public price data into Costwise's catalog format.",
    subcommands = {CatalogCommand.Show.class, CatalogCommand.Import.class},
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {"0:help shown", "2:no or unknown subcommand, or unknown option"})
public final class CatalogCommand {

  /**
   * {@code costwise catalog show}: where the catalog comes from, how many models, and one model's
   * prices.
   */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Shows the catalog in force, or one model.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:shown",
        "1:an unexpected failure (the message says what)",
        "2:unknown model, bad option or bad price file"
      })
  static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin PricingOptions pricing;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "A model to resolve and show.")
    String model;

    @Option(names = "--provider", defaultValue = "", description = "Provider of MODEL.")
    String provider;

    @Override
    public Integer call() {
      PriceCatalog catalog = pricing.catalog().get();
      var out = spec.commandLine().getOut();
      if (model == null) {
        out.printf("source   %s%nmodels   %d%n", catalog.source(), catalog.models().size());
        if (pricing.priceFile() != null) {
          out.printf("override %s%n", pricing.priceFile().toAbsolutePath());
        }
        return 0;
      }
      ModelPrice price = catalog.resolve(provider, model).orElse(null);
      if (price == null) {
        spec.commandLine()
            .getErr()
            .printf(
                "costwise catalog show: unknown model '%s'%s%n",
                model,
                catalog.suggestions(model).isEmpty()
                    ? ""
                    : " (did you mean " + String.join(", ", catalog.suggestions(model)) + "?)");
        return 2;
      }
      out.println(CatalogFormat.toJson(price));
      return 0;
    }
  }

  /**
   * {@code costwise catalog import}: converts a LiteLLM-style price file into Costwise's format.
   */
  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Converts public price data (LiteLLM's model_prices_and_context_window.json, or a Costwise",
        "catalog) into a Costwise catalog file, recording source and as-of date.",
        "This is how interceptors/src/main/resources/costwise/catalog.json is made."
      },
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:written",
        "1:OUTPUT cannot be written",
        "2:INPUT is not price data, or a bad option"
      })
  static final class Import implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT", description = "Price data to convert.")
    Path input;

    @Parameters(index = "1", paramLabel = "OUTPUT", description = "Catalog file to write.")
    Path output;

    @Option(
        names = "--source",
        required = true,
        description = "Where the figures come from (recorded in the file).")
    String source;

    @Option(
        names = "--as-of",
        required = true,
        description = "Date the figures were published or fetched (YYYY-MM-DD).")
    LocalDate asOf;

    @Option(
        names = "--append",
        description = {
          "Keep the prices OUTPUT already holds: an entry whose prices changed keeps its old",
          "version (ending at --as-of) and gains the new one from --as-of on."
        })
    boolean append;

    @Override
    public Integer call() throws Exception {
      PriceCatalog catalog = CatalogFormat.read(input);
      if (append && java.nio.file.Files.exists(output)) {
        catalog = CatalogHistory.append(CatalogFormat.read(output), catalog, asOf, source);
      }
      CatalogFormat.write(catalog, source, asOf.toString(), output);
      long free = catalog.models().stream().filter(ModelPrice::free).count();
      String first =
          catalog.models().stream().map(ModelPrice::id).min(Comparator.naturalOrder()).orElse("-");
      spec.commandLine()
          .getOut()
          .printf(
              "wrote %d models (%d free) to %s; first: %s%n",
              catalog.models().size(), free, output, first);
      return 0;
    }
  }
}
