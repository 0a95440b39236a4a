package dev.costwise.pricing;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Lays a newer price list onto a catalog without losing the older prices: an entry whose prices
 * changed keeps its old version, now ending the day the new one starts, and gains the new version
 * from then on. Entries whose prices did not change are kept as they are; entries only in the older
 * catalog are kept; entries new in the newer list have no earlier price and are in force since
 * always.
 */
public final class CatalogHistory {
  private CatalogHistory() {}

  /**
   * {@code older} with {@code newer}'s prices in force from {@code from}; aliases and patterns of
   * both are kept (the newer's taking precedence).
   *
   * @throws CatalogException when {@code from} is not after the start of an entry's latest version
   */
  public static PriceCatalog append(
      PriceCatalog older, PriceCatalog newer, LocalDate from, String source) {
    Set<String> ids = new LinkedHashSet<>();
    older.models().forEach(m -> ids.add(key(m.id())));
    newer.models().forEach(m -> ids.add(key(m.id())));
    List<ModelPrice> models = new ArrayList<>();
    int changed = 0;
    for (String id : ids) {
      List<ModelPrice> old = older.history(id);
      ModelPrice next = newer.byId(id).orElse(null);
      if (next == null) {
        models.addAll(old);
        continue;
      }
      if (old.isEmpty()) {
        models.add(next.during(null, null));
        continue;
      }
      ModelPrice current = older.byId(id).orElseThrow();
      if (samePrices(current, next)) {
        models.addAll(old);
        continue;
      }
      if (current.effectiveFrom() != null && !from.isAfter(current.effectiveFrom())) {
        throw new CatalogException(
            "model '"
                + CatalogFormat.shorten(current.id(), 80)
                + "' already has prices from "
                + current.effectiveFrom()
                + "; new prices must start after that (give a later --as-of)");
      }
      for (ModelPrice m : old) {
        models.add(m == current ? m.during(m.effectiveFrom(), from) : m);
      }
      models.add(next.during(from, null));
      changed++;
    }
    java.util.Map<String, String> aliases = new java.util.LinkedHashMap<>(older.aliases());
    aliases.putAll(newer.aliases());
    List<PriceCatalog.PatternRule> patterns = new ArrayList<>(newer.patterns());
    older.patterns().stream().filter(p -> !patterns.contains(p)).forEach(patterns::add);
    return PriceCatalog.of(models, aliases, patterns, source, from.toString());
  }

  /** Whether two entries publish the same prices (dates and source aside). */
  static boolean samePrices(ModelPrice a, ModelPrice b) {
    return CatalogFormat.toJson(a.during(null, null))
            .equals(CatalogFormat.toJson(b.during(null, null)))
        && a.free() == b.free();
  }

  private static String key(String id) {
    return id.strip().toLowerCase(Locale.ROOT);
  }
}
