package dev.costwise.pricing;

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
  private final Map<String, String> aliases;
  private final List<PatternRule> patterns;
  private final String source;
  private final Map<String, Optional<ModelPrice>> resolved = new ConcurrentHashMap<>();

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
      Map<String, ModelPrice> models,
      Map<String, String> aliases,
      List<PatternRule> patterns,
      String source) {
    this.models = models;
    this.aliases = aliases;
    this.patterns = patterns;
    this.source = source;
  }

  /** Builds a catalog and checks that every alias and pattern points at an entry. */
  public static PriceCatalog of(
      Collection<ModelPrice> models,
      Map<String, String> aliases,
      List<PatternRule> patterns,
      String source) {
    Map<String, ModelPrice> byId = new LinkedHashMap<>();
    for (ModelPrice m : models) {
      byId.put(key(m.id()), m);
    }
    Map<String, String> aliasMap = new LinkedHashMap<>();
    aliases.forEach((k, v) -> aliasMap.put(key(k), v));
    PriceCatalog catalog =
        new PriceCatalog(Map.copyOf(byId), Map.copyOf(aliasMap), List.copyOf(patterns), source);
    aliasMap.forEach(
        (alias, target) -> {
          if (!byId.containsKey(key(target))) {
            throw new CatalogException(
                "alias '" + alias + "' points at '" + target + "', which is not in the catalog");
          }
        });
    for (PatternRule p : patterns) {
      if (!byId.containsKey(key(p.model()))) {
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

  /** An empty catalog. */
  public static PriceCatalog empty() {
    return new PriceCatalog(Map.of(), Map.of(), List.of(), "empty");
  }

  /**
   * A catalog with {@code over}'s entries added or replacing these, its aliases and patterns added
   * (its patterns tried first).
   */
  public PriceCatalog overlay(PriceCatalog over) {
    Map<String, ModelPrice> merged = new LinkedHashMap<>(models);
    merged.putAll(over.models);
    Map<String, String> mergedAliases = new LinkedHashMap<>(aliases);
    mergedAliases.putAll(over.aliases);
    List<PatternRule> mergedPatterns = new ArrayList<>(over.patterns);
    mergedPatterns.addAll(patterns);
    return of(merged.values(), mergedAliases, mergedPatterns, source + " + " + over.source);
  }

  /** Where the figures come from. */
  public String source() {
    return source;
  }

  /** Every entry. */
  public Collection<ModelPrice> models() {
    return models.values();
  }

  /** The entry with exactly this id, ignoring case. */
  public Optional<ModelPrice> byId(String id) {
    return Optional.ofNullable(models.get(key(id)));
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
