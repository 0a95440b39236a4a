package dev.costwise.pricing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * An immutable set of model prices with the rules that map the names applications use to catalog
 * ids: exact id, provider-prefixed id, dated snapshot, user alias, and glob pattern.
 */
public final class PriceCatalog {
  private static final Pattern DATE_SUFFIX =
      Pattern.compile("(?:[-@](?:\\d{4}-\\d{2}-\\d{2}|\\d{8}|\\d{4}))$");
  private static final int MAX_CACHED_NAMES = 10_000;

  private final Map<String, ModelPrice> models;
  private final Map<String, List<ModelPrice>> history;
  private final Map<String, String> aliases;
  private final List<PatternRule> patterns;
  private final String source;
  private final String asOf;
  private final Map<String, Optional<ModelPrice>> resolved = new ConcurrentHashMap<>();
  private volatile CatalogVersion version;

  /**
   * A glob such as {@code ollama/*} that prices every matching name as catalog entry {@code model}.
   */
  public record PatternRule(String glob, String model) {
    /** Rejects empty globs and targets. */
    public PatternRule {
      if (glob == null || glob.isBlank() || model == null || model.isBlank()) {
        throw new IllegalArgumentException("a pattern needs both 'match' and 'model'");
      }
    }

    boolean matches(String name) {
      return globToRegex(glob).matcher(name).matches();
    }
  }

  private PriceCatalog(
      Map<String, List<ModelPrice>> history,
      Map<String, String> aliases,
      List<PatternRule> patterns,
      String source,
      String asOf) {
    this.history = history;
    Map<String, ModelPrice> latest = new LinkedHashMap<>();
    history.forEach((k, versions) -> latest.put(k, latest(versions)));
    this.models = Map.copyOf(latest);
    this.aliases = aliases;
    this.patterns = patterns;
    this.source = source;
    this.asOf = asOf == null ? "" : asOf;
  }

  /** The version with the latest first day in force (an undated one counts as the earliest). */
  private static ModelPrice latest(List<ModelPrice> versions) {
    ModelPrice best = versions.get(0);
    for (ModelPrice m : versions) {
      if (m.effectiveFrom() != null
          && (best.effectiveFrom() == null || m.effectiveFrom().isAfter(best.effectiveFrom()))) {
        best = m;
      }
    }
    return best;
  }

  /** Builds a catalog and checks that every alias and pattern points at an entry. */
  public static PriceCatalog of(
      Collection<ModelPrice> models,
      Map<String, String> aliases,
      List<PatternRule> patterns,
      String source) {
    return of(models, aliases, patterns, source, "");
  }

  /**
   * Builds a catalog whose figures are as of {@code asOf} ({@code yyyy-mm-dd}, or empty). An id may
   * be given several times with dates ({@link ModelPrice#effectiveFrom()}, {@link
   * ModelPrice#effectiveTo()}) whose ranges do not overlap.
   */
  public static PriceCatalog of(
      Collection<ModelPrice> models,
      Map<String, String> aliases,
      List<PatternRule> patterns,
      String source,
      String asOf) {
    Map<String, List<ModelPrice>> byId = new LinkedHashMap<>();
    for (ModelPrice m : models) {
      List<ModelPrice> versions = byId.computeIfAbsent(key(m.id()), k -> new ArrayList<>());
      for (ModelPrice other : versions) {
        if (overlap(m, other)) {
          throw new CatalogException(
              "model '"
                  + CatalogFormat.shorten(m.id(), 80)
                  + "' is given twice for the same days ("
                  + range(other)
                  + " and "
                  + range(m)
                  + "); give each version an effectiveFrom/effectiveTo that do not overlap");
        }
      }
      versions.add(m);
    }
    return build(byId, aliases, patterns, source, asOf);
  }

  private static PriceCatalog build(
      Map<String, List<ModelPrice>> byId,
      Map<String, String> aliases,
      List<PatternRule> patterns,
      String source,
      String asOf) {
    Map<String, List<ModelPrice>> frozen = new LinkedHashMap<>();
    byId.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    Map<String, String> aliasMap = new LinkedHashMap<>();
    aliases.forEach((k, v) -> aliasMap.put(key(k), v));
    PriceCatalog catalog =
        new PriceCatalog(
            Map.copyOf(frozen), Map.copyOf(aliasMap), List.copyOf(patterns), source, asOf);
    aliasMap.forEach(
        (alias, target) -> {
          if (!frozen.containsKey(key(target))) {
            throw new CatalogException(
                "alias '" + alias + "' points at '" + target + "', which is not in the catalog");
          }
        });
    for (PatternRule p : patterns) {
      if (!frozen.containsKey(key(p.model()))) {
        throw new CatalogException(
            "pattern '"
                + p.glob()
                + "' points at '"
                + p.model()
                + "', which is not in the catalog");
      }
    }
    return catalog;
  }

  private static boolean overlap(ModelPrice a, ModelPrice b) {
    boolean aEndsBeforeB =
        a.effectiveTo() != null
            && b.effectiveFrom() != null
            && !a.effectiveTo().isAfter(b.effectiveFrom());
    boolean bEndsBeforeA =
        b.effectiveTo() != null
            && a.effectiveFrom() != null
            && !b.effectiveTo().isAfter(a.effectiveFrom());
    return !aEndsBeforeB && !bEndsBeforeA;
  }

  private static String range(ModelPrice m) {
    return (m.effectiveFrom() == null ? "always" : "from " + m.effectiveFrom())
        + (m.effectiveTo() == null ? "" : " to " + m.effectiveTo());
  }

  /** An empty catalog. */
  public static PriceCatalog empty() {
    return new PriceCatalog(Map.of(), Map.of(), List.of(), "empty", "");
  }

  /**
   * A catalog with {@code over}'s entries added or replacing these, its aliases and patterns added
   * (its patterns tried first). An undated entry of {@code over} replaces every version of its id;
   * dated entries are added to the id's history and take precedence on their days.
   */
  public PriceCatalog overlay(PriceCatalog over) {
    Map<String, List<ModelPrice>> merged = new LinkedHashMap<>(history);
    over.history.forEach(
        (k, versions) -> {
          boolean replaces = versions.stream().anyMatch(v -> !v.dated());
          List<ModelPrice> next = new ArrayList<>(versions);
          if (!replaces) {
            next.addAll(history.getOrDefault(k, List.of()));
          }
          merged.put(k, next);
        });
    Map<String, String> mergedAliases = new LinkedHashMap<>(aliases);
    mergedAliases.putAll(over.aliases);
    List<PatternRule> mergedPatterns = new ArrayList<>(over.patterns);
    mergedPatterns.addAll(patterns);
    String newest = asOf.compareTo(over.asOf) >= 0 ? asOf : over.asOf;
    return build(merged, mergedAliases, mergedPatterns, source + " + " + over.source, newest);
  }

  /** Where the figures come from. */
  public String source() {
    return source;
  }

  /** The date the figures are as of ({@code yyyy-mm-dd}), or empty when not given. */
  public String asOf() {
    return asOf;
  }

  /**
   * Which catalog this is: source, as-of date and a hash of its content (entries with their dates,
   * aliases and patterns), computed once.
   */
  public CatalogVersion version() {
    CatalogVersion v = version;
    if (v == null) {
      v = new CatalogVersion(source, asOf, CatalogFormat.contentHash(this));
      version = v;
    }
    return v;
  }

  /** Every entry, the latest version of each id. */
  public Collection<ModelPrice> models() {
    return models.values();
  }

  /** Every version of every entry, in precedence order per id (dated overrides first). */
  public Collection<ModelPrice> allVersions() {
    return history.values().stream().flatMap(List::stream).toList();
  }

  /** Aliases, by lower-case name. */
  Map<String, String> aliases() {
    return aliases;
  }

  /** Patterns, in the order they are tried. */
  List<PatternRule> patterns() {
    return patterns;
  }

  /** The entry with exactly this id, ignoring case (its latest version). */
  public Optional<ModelPrice> byId(String id) {
    return Optional.ofNullable(models.get(key(id)));
  }

  /**
   * The version of the entry named {@code model} (resolved as by {@link #resolve(String, String)})
   * whose prices are in force at {@code at}; empty when the name is unknown or no version is in
   * force then.
   */
  public Optional<ModelPrice> resolve(String provider, String model, Instant at) {
    return resolve(provider, model).flatMap(latest -> inForce(latest.id(), at));
  }

  /** The version of entry {@code id} in force at {@code at}. */
  public Optional<ModelPrice> inForce(String id, Instant at) {
    List<ModelPrice> versions = history.get(key(id));
    if (versions == null) {
      return Optional.empty();
    }
    for (ModelPrice m : versions) {
      if (m.inForceAt(at)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  /** Every version of entry {@code id}, in precedence order. */
  public List<ModelPrice> history(String id) {
    return history.getOrDefault(key(id), List.of());
  }

  /**
   * Resolves a model name as an application reports it. Tried in order: user alias, exact id,
   * {@code provider/model}, the name without a provider prefix, the name without a date suffix
   * ({@code -2024-08-06}, {@code -20241022}, {@code @20240229}, {@code -0613}), then patterns.
   */
  public Optional<ModelPrice> resolve(String provider, String model) {
    String cacheKey = provider + '\u0000' + model;
    Optional<ModelPrice> hit = resolved.get(cacheKey);
    if (hit != null) {
      return hit;
    }
    Optional<ModelPrice> found =
        Optional.ofNullable(lookup(provider == null ? "" : provider, model));
    if (resolved.size() < MAX_CACHED_NAMES) {
      resolved.put(cacheKey, found);
    }
    return found;
  }

  private ModelPrice lookup(String provider, String model) {
    String name = key(model);
    String aliased = aliases.get(name);
    if (aliased != null) {
      return models.get(key(aliased));
    }
    ModelPrice m = direct(provider, name);
    if (m != null) {
      return m;
    }
    String undated = DATE_SUFFIX.matcher(name).replaceFirst("");
    if (!undated.equals(name)) {
      m = direct(provider, undated);
      if (m != null) {
        return m;
      }
    }
    for (PatternRule p : patterns) {
      if (p.matches(name) || (!provider.isEmpty() && p.matches(key(provider) + "/" + name))) {
        return models.get(key(p.model()));
      }
    }
    return null;
  }

  private ModelPrice direct(String provider, String name) {
    ModelPrice m = models.get(name);
    if (m != null) {
      return m;
    }
    if (!provider.isEmpty()) {
      m = models.get(key(provider) + "/" + name);
      if (m != null) {
        return m;
      }
    }
    int slash = name.indexOf('/');
    if (slash > 0 && slash < name.length() - 1) {
      String bare = name.substring(slash + 1);
      m = models.get(bare);
      if (m != null) {
        return m;
      }
      String aliased = aliases.get(bare);
      if (aliased != null) {
        return models.get(key(aliased));
      }
    }
    return null;
  }

  /** Up to three catalog ids closest to {@code model}, for "did you mean" messages. */
  public List<String> suggestions(String model) {
    String name = key(model);
    int slash = name.lastIndexOf('/');
    String bare = slash >= 0 ? name.substring(slash + 1) : name;
    record Scored(String id, int distance) {}
    return models.values().stream()
        .map(ModelPrice::id)
        .filter(id -> id.indexOf('/') < 0)
        .map(id -> new Scored(id, distance(bare, key(id))))
        .filter(s -> s.distance() <= Math.max(2, bare.length() / 3))
        .sorted(Comparator.comparingInt(Scored::distance).thenComparing(Scored::id))
        .limit(3)
        .map(Scored::id)
        .toList();
  }

  private static String key(String s) {
    return s.strip().toLowerCase(Locale.ROOT);
  }

  static Pattern globToRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    for (char c : glob.toLowerCase(Locale.ROOT).toCharArray()) {
      switch (c) {
        case '*' -> regex.append(".*");
        case '?' -> regex.append('.');
        default -> regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString());
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
