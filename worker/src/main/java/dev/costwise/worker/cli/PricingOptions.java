package dev.costwise.worker.cli;

import dev.costwise.pricing.CatalogSource;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that prices usage shares: where the price override file is. */
public final class PricingOptions {
  /** Environment variable naming the price override file when no flag is given. */
  public static final String PRICE_FILE_ENV = "COSTWISE_PRICE_FILE";

  @Option(
      names = "--price-file",
      paramLabel = "FILE",
      description =
          "Price override file laid over the bundled catalog (default: $" + PRICE_FILE_ENV + ").")
  Path priceFile;

  /** The bundled catalog with the override file, if any, laid over it. */
  public CatalogSource catalog() {
    return CatalogSource.bundled(priceFile());
  }

  /** The override file named by flag or environment, or null. */
  public Path priceFile() {
    if (priceFile != null) {
      return priceFile;
    }
    String env = System.getenv(PRICE_FILE_ENV);
    return env == null || env.isBlank() ? null : Path.of(env);
  }
}
