package dev.costwise.pricing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog in force: the bundled catalog with an optional user override file laid over it. The
 * override can be reloaded while running; a reload that fails keeps the catalog in force and says
 * why, so a bad edit never leaves the worker without prices.
 */
public final class CatalogSource implements Supplier<PriceCatalog> {
  /** Classpath location of the bundled catalog generated from public price data. */
  public static final String BUNDLED = "/costwise/catalog.json";

  /** Classpath location of hand-kept seed entries laid over the generated catalog. */
  public static final String SEED = "/costwise/seed-models.json";

  private static final Logger log = LoggerFactory.getLogger(CatalogSource.class);

  private final PriceCatalog base;
  private final Path overrideFile;
  private final AtomicReference<PriceCatalog> current = new AtomicReference<>();
  private volatile FileTime loadedModified;

  private CatalogSource(PriceCatalog base, Path overrideFile) {
    this.base = base;
    this.overrideFile = overrideFile;
    current.set(
        versioned(overrideFile == null ? base : base.overlay(CatalogFormat.read(overrideFile))));
    loadedModified = modified();
  }

  /**
   * The bundled catalog, with {@code overrideFile} (may be null) laid over it.
   *
   * @throws CatalogException when the override file is missing or malformed
   */
  public static CatalogSource bundled(Path overrideFile) {
    return new CatalogSource(bundledCatalog(), overrideFile);
  }

  /** A source over a fixed base catalog, for tests and tools. */
  public static CatalogSource of(PriceCatalog base, Path overrideFile) {
    return new CatalogSource(base, overrideFile);
  }

  /** The bundled catalog alone: generated entries with the seed entries laid over them. */
  public static PriceCatalog bundledCatalog() {
    return resource(BUNDLED).overlay(resource(SEED));
  }

  private static PriceCatalog resource(String path) {
    try (InputStream in = CatalogSource.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new CatalogException("Bundled price file " + path + " is missing from the classpath");
      }
      return CatalogFormat.read(in, "bundled " + path);
    } catch (IOException e) {
      throw new CatalogException("Cannot read bundled price file " + path, e);
    }
  }

  /**
   * {@code catalog}, its version (a hash of its whole content, which every priced line carries)
   * computed now: otherwise the first attempts priced with it would each compute it at once.
   */
  private static PriceCatalog versioned(PriceCatalog catalog) {
    catalog.version();
    return catalog;
  }

  @Override
  public PriceCatalog get() {
    return current.get();
  }

  /** The override file, if any. */
  public Optional<Path> overrideFile() {
    return Optional.ofNullable(overrideFile);
  }

  /**
   * Reads the override file again and, if it is valid, puts it in force.
   *
   * @throws CatalogException when the file is malformed; the previous catalog stays in force
   */
  public PriceCatalog reload() {
    if (overrideFile == null) {
      return current.get();
    }
    FileTime seen = modified();
    PriceCatalog next = versioned(base.overlay(CatalogFormat.read(overrideFile)));
    current.set(next);
    loadedModified = seen;
    log.info("Price override {} reloaded: {} models in force", overrideFile, next.models().size());
    return next;
  }

  /**
   * Reloads when the override file changed since it was last read. Returns true when a new catalog
   * was put in force.
   *
   * @throws CatalogException when the changed file is malformed; the previous catalog stays in
   *     force
   */
  public boolean reloadIfChanged() {
    if (overrideFile == null) {
      return false;
    }
    FileTime now = modified();
    if (now == null || now.equals(loadedModified)) {
      return false;
    }
    try {
      reload();
      return true;
    } catch (CatalogException e) {
      loadedModified = now;
      throw e;
    }
  }

  private FileTime modified() {
    if (overrideFile == null) {
      return null;
    }
    try {
      return Files.getLastModifiedTime(overrideFile);
    } catch (IOException e) {
      return null;
    }
  }
}
