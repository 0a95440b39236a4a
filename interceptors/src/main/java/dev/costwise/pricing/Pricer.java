package dev.costwise.pricing;

import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prices usage records against the current catalog, exactly. Unknown models and usage kinds a model
 * has no price for come back unpriced with a reason; in strict mode they throw instead.
 */
public final class Pricer {
  private static final Logger log = LoggerFactory.getLogger(Pricer.class);
  private final Supplier<PriceCatalog> catalog;
  private final boolean strict;

  /** A pricer reading the catalog through {@code catalog} on every call, so reloads take effect. */
  public Pricer(Supplier<PriceCatalog> catalog, boolean strict) {
    this.catalog = catalog;
    this.strict = strict;
  }

  /** A lenient pricer over a fixed catalog. */
  public static Pricer of(PriceCatalog catalog) {
    return new Pricer(() -> catalog, false);
  }

  /** Whether unpriceable usage throws {@link UnknownModelException}. */
  public boolean strict() {
    return strict;
  }

  /** The catalog in force now. */
  public PriceCatalog catalog() {
    return catalog.get();
  }

  /**
   * Prices one record.
   *
   * @throws UnknownModelException in strict mode, when the record cannot be priced
   */
  public Cost price(Usage usage) {
    return price(usage, Instant.now());
  }

  /**
   * Prices one record of an attempt that started at {@code startedAt}, at the prices in force then.
   *
   * @throws UnknownModelException in strict mode, when the record cannot be priced
   */
  public Cost price(Usage usage, Instant startedAt) {
    Cost cost = priceLenient(usage, startedAt);
    if (strict && !cost.priced()) {
      throw new UnknownModelException(cost.unpricedReason());
    }
    return cost;
  }

  /**
   * Prices one record, returning an unpriced cost rather than throwing, whatever the mode: an
   * unknown model, or any error while pricing (its reason is kept with the usage), never fails the
   * attempt that was billed.
   */
  public Cost priceLenient(Usage usage) {
    return priceLenient(usage, Instant.now());
  }

  /**
   * Prices one record of an attempt that started at {@code startedAt} at the prices in force then,
   * with {@code catalog} rather than the current one (repricing), returning an unpriced cost rather
   * than throwing.
   */
  public static Cost priceWith(PriceCatalog catalog, Usage usage, Instant startedAt) {
    return Pricer.of(catalog).priceLenient(usage, startedAt);
  }

  /**
   * Prices one record of an attempt that started at {@code startedAt} at the prices in force then,
   * returning an unpriced cost rather than throwing, whatever the mode.
   */
  public Cost priceLenient(Usage usage, Instant startedAt) {
    try {
      return priceOrThrow(usage, startedAt);
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return Cost.unpriced(
          null,
          "pricing "
              + usage.model()
              + " failed: "
              + (why.length() <= 200 ? why : why.substring(0, 200) + "…"));
    }
  }

  private Cost priceOrThrow(Usage usage, Instant startedAt) {
    PriceCatalog current = catalog.get();
    ModelPrice latest = current.resolve(usage.provider(), usage.model()).orElse(null);
    String size = usage.imageSize();
    String quality = usage.imageQuality();
    if (latest == null && usage.images() > 0) {
      // an image key of the public list, size and steps in the name
      LiteLlmImport.Variant v = LiteLlmImport.imageVariant(usage.model().toLowerCase(Locale.ROOT));
      if (v != null) {
        latest = current.resolve(usage.provider(), v.model()).orElse(null);
        size = size != null ? size : v.size();
        quality = quality != null ? quality : v.quality();
      }
    }
    if (latest == null) {
      return Cost.unpriced(null, unknownModelMessage(current, usage));
    }
    ModelPrice model = current.inForce(latest.id(), startedAt).orElse(null);
    if (model == null) {
      return Cost.unpriced(latest, noPriceInForce(current, latest, startedAt))
          .from(current.version(), null, usage.serviceTier());
    }
    Cost cost = priceEntry(model, usage, size, quality);
    String tier = cost.serviceTier();
    return cost.from(current.version(), model.entryKey(), tier);
  }

  private static String noPriceInForce(PriceCatalog catalog, ModelPrice latest, Instant at) {
    List<String> ranges =
        catalog.history(latest.id()).stream()
            .limit(5)
            .map(
                m ->
                    (m.effectiveFrom() == null ? "" : "from " + m.effectiveFrom())
                        + (m.effectiveTo() == null ? "" : " to " + m.effectiveTo()))
            .toList();
    return "model '"
        + latest.id()
        + "' has no price in force on "
        + at.atZone(java.time.ZoneOffset.UTC).toLocalDate()
        + " (prices are given "
        + String.join(", ", ranges)
        + "); add a version for that day to a price override file";
  }

  /**
   * Prices {@code usage} at entry {@code model}; the cost's service tier says which tier's rates
   * applied (standard when the requested tier has none published, logged once per model and tier).
   */
  private Cost priceEntry(ModelPrice model, Usage usage, String size, String quality) {
    Map<CostComponent, BigDecimal> parts = new EnumMap<>(CostComponent.class);
    if (model.free()) {
      zeroForUsedKinds(usage, parts);
      return Cost.priced(model, parts, 0).from(null, null, usage.serviceTier());
    }
    long prompt = usage.promptTokens();
    String tier = usage.serviceTier() == null ? ModelPrice.STANDARD : usage.serviceTier();
    Rates r = model.ratesFor(prompt, tier);
    if (r == null) {
      tierFallback(model, tier);
      tier = ModelPrice.STANDARD;
      r = model.ratesFor(prompt);
    }
    String missing =
        perToken(parts, CostComponent.INPUT, usage.inputTokens(), r.inputPerMTok(), null)
            + perToken(parts, CostComponent.OUTPUT, usage.outputTokens(), r.outputPerMTok(), null)
            + perToken(
                parts,
                CostComponent.CACHE_READ,
                usage.cacheReadTokens(),
                r.cacheReadPerMTok(),
                r.inputPerMTok())
            + perToken(
                parts,
                CostComponent.CACHE_WRITE,
                usage.cacheWriteTokens(),
                r.cacheWritePerMTok(),
                r.inputPerMTok())
            + perToken(
                parts,
                CostComponent.CACHE_WRITE_1H,
                usage.cacheWrite1hTokens(),
                r.cacheWrite1hPerMTok(),
                oneHourWriteFallback(model, r))
            + perToken(
                parts,
                CostComponent.REASONING,
                usage.reasoningTokens(),
                r.reasoningPerMTok(),
                r.outputPerMTok())
            + images(parts, usage.images(), quality, size, r)
            + video(parts, usage, r)
            + perUnit(
                parts, CostComponent.SPEECH, usage.characters(), r.per1KChars(), 3, "characters")
            + perUnit(
                parts,
                CostComponent.AUDIO,
                usage.audioSeconds(),
                r.perAudioSecond(),
                0,
                "audio seconds")
            + perToken(
                parts,
                CostComponent.AUDIO_INPUT,
                usage.audioInputTokens(),
                r.audioInputPerMTok(),
                null)
            + perToken(
                parts,
                CostComponent.AUDIO_OUTPUT,
                usage.audioOutputTokens(),
                r.audioOutputPerMTok(),
                null)
            + perUnit(
                parts, CostComponent.REQUESTS, usage.requests(), r.per1KRequests(), 3, "requests")
            + webSearches(parts, usage, r, model);
    if (!missing.isEmpty()) {
      return Cost.unpriced(
              model,
              "model '"
                  + model.id()
                  + "' has no published price for "
                  + missing.substring(2)
                  + "; add the rate to a price override file")
          .from(null, null, tier);
    }
    return Cost.priced(model, parts, model.tierFor(prompt)).from(null, null, tier);
  }

  private final Set<String> fallbacksLogged = ConcurrentHashMap.newKeySet();

  /**
   * Logs (once per model and tier) that a service tier has no published rates for a model, so its
   * usage is priced at the standard rates; the stored step keeps both the requested and the applied
   * tier.
   */
  private void tierFallback(ModelPrice model, String tier) {
    if (fallbacksLogged.size() < 1_000 && fallbacksLogged.add(model.id() + "/" + tier)) {
      log.warn(
          "Model '{}' has no published {} rates; its {} usage is priced at standard rates"
              + " (add serviceTiers.{} to a price override file to price it)",
          model.id(),
          tier,
          tier,
          tier);
    }
  }

  /** Anthropic's published multiplier for one-hour cache writes: twice the base input price. */
  static final BigDecimal ANTHROPIC_1H_WRITE_MULTIPLIER = BigDecimal.valueOf(2);

  /**
   * The rate for one-hour cache writes when the catalog publishes none: Anthropic documents them at
   * twice the base input price, so models the catalog lists under provider {@code anthropic} use
   * that rule; for any other provider there is no documented rule and such writes stay unpriced.
   */
  private static BigDecimal oneHourWriteFallback(ModelPrice model, Rates r) {
    if ("anthropic".equals(model.provider()) && r.inputPerMTok() != null) {
      return r.inputPerMTok().multiply(ANTHROPIC_1H_WRITE_MULTIPLIER);
    }
    return null;
  }

  private static String unknownModelMessage(PriceCatalog catalog, Usage usage) {
    List<String> close = catalog.suggestions(usage.model());
    String name =
        usage.provider().isEmpty() ? usage.model() : usage.provider() + "/" + usage.model();
    return "Unknown model '"
        + name
        + "'"
        + (close.isEmpty()
            ? ""
            : " (did you mean "
                + String.join(", ", close.stream().map(s -> "'" + s + "'").toList())
                + "?)")
        + "; add it, an alias or a pattern to the price override file (costwise.pricing.file)";
  }

  private static String perToken(
      Map<CostComponent, BigDecimal> parts,
      CostComponent c,
      long tokens,
      BigDecimal perMTok,
      BigDecimal fallback) {
    if (tokens == 0) {
      return "";
    }
    BigDecimal rate = perMTok != null ? perMTok : fallback;
    if (rate == null) {
      return ", " + c.label() + " tokens";
    }
    parts.put(c, rate.multiply(BigDecimal.valueOf(tokens)).movePointLeft(6));
    return "";
  }

  private static String perUnit(
      Map<CostComponent, BigDecimal> parts,
      CostComponent c,
      long units,
      BigDecimal rate,
      int shift,
      String what) {
    if (units == 0) {
      return "";
    }
    return perUnit(parts, c, BigDecimal.valueOf(units), rate, shift, what);
  }

  private static String perUnit(
      Map<CostComponent, BigDecimal> parts,
      CostComponent c,
      BigDecimal units,
      BigDecimal rate,
      int shift,
      String what) {
    if (units.signum() == 0) {
      return "";
    }
    if (rate == null) {
      return ", " + what;
    }
    parts.put(c, rate.multiply(units).movePointLeft(shift));
    return "";
  }

  private static String images(
      Map<CostComponent, BigDecimal> parts, long images, String quality, String size, Rates r) {
    if (images == 0) {
      return "";
    }
    BigDecimal each = imagePrice(quality, size, r);
    if (each == null) {
      String variant = (quality == null ? "" : quality + " ") + (size == null ? "" : size + " ");
      return ", " + variant + "images";
    }
    parts.put(CostComponent.IMAGES, each.multiply(BigDecimal.valueOf(images)));
    return "";
  }

  /**
   * Most specific published image price: quality and size, then size, then quality, then default.
   */
  static BigDecimal imagePrice(String quality, String size, Rates r) {
    Map<String, BigDecimal> v = r.imageVariants();
    if (quality != null && size != null) {
      BigDecimal p = v.get(quality + "/" + size);
      if (p != null) {
        return p;
      }
    }
    if (size != null && v.containsKey(size)) {
      return v.get(size);
    }
    if (quality != null && v.containsKey(quality)) {
      return v.get(quality);
    }
    return r.perImage();
  }

  private static String video(Map<CostComponent, BigDecimal> parts, Usage usage, Rates r) {
    BigDecimal rate =
        usage.videoWithAudio() && r.perVideoSecondWithAudio() != null
            ? r.perVideoSecondWithAudio()
            : r.perVideoSecond();
    String what = usage.videoWithAudio() ? "video seconds with audio" : "video seconds";
    return perUnit(parts, CostComponent.VIDEO, usage.videoSeconds(), rate, 0, what);
  }

  /**
   * The context size a web search is priced at when the record names none: OpenAI documents {@code
   * medium} as the default of its web-search tool; other providers publish one fee for every size.
   */
  static final String DEFAULT_SEARCH_CONTEXT_SIZE = "medium";

  /**
   * Anthropic's published fee for its web-search tool, the same for every model: USD 10 per
   * thousand searches. Applied to models the catalog lists under provider {@code anthropic} that
   * publish no web-search fee of their own; other providers have no such rule and such searches
   * stay unpriced.
   */
  static final BigDecimal ANTHROPIC_WEB_SEARCH_PER_1K = BigDecimal.TEN;

  private static String webSearches(
      Map<CostComponent, BigDecimal> parts, Usage usage, Rates r, ModelPrice model) {
    if (usage.webSearches() == 0) {
      return "";
    }
    String size =
        usage.searchContextSize() == null ? DEFAULT_SEARCH_CONTEXT_SIZE : usage.searchContextSize();
    BigDecimal rate = r.per1KWebSearches().get(size);
    if (rate == null && r.per1KWebSearches().isEmpty() && "anthropic".equals(model.provider())) {
      rate = ANTHROPIC_WEB_SEARCH_PER_1K;
    }
    String what =
        usage.searchContextSize() == null
            ? "web searches"
            : "web searches (" + size + " search context)";
    return perUnit(parts, CostComponent.WEB_SEARCH, usage.webSearches(), rate, 3, what);
  }

  private static void zeroForUsedKinds(Usage u, Map<CostComponent, BigDecimal> parts) {
    putZeroIf(parts, CostComponent.INPUT, u.inputTokens() > 0);
    putZeroIf(parts, CostComponent.OUTPUT, u.outputTokens() > 0);
    putZeroIf(parts, CostComponent.CACHE_READ, u.cacheReadTokens() > 0);
    putZeroIf(parts, CostComponent.CACHE_WRITE, u.cacheWriteTokens() > 0);
    putZeroIf(parts, CostComponent.CACHE_WRITE_1H, u.cacheWrite1hTokens() > 0);
    putZeroIf(parts, CostComponent.REASONING, u.reasoningTokens() > 0);
    putZeroIf(parts, CostComponent.IMAGES, u.images() > 0);
    putZeroIf(parts, CostComponent.VIDEO, u.videoSeconds().signum() > 0);
    putZeroIf(parts, CostComponent.SPEECH, u.characters() > 0);
    putZeroIf(parts, CostComponent.AUDIO, u.audioSeconds().signum() > 0);
    putZeroIf(parts, CostComponent.AUDIO_INPUT, u.audioInputTokens() > 0);
    putZeroIf(parts, CostComponent.AUDIO_OUTPUT, u.audioOutputTokens() > 0);
    putZeroIf(parts, CostComponent.REQUESTS, u.requests() > 0);
    putZeroIf(parts, CostComponent.WEB_SEARCH, u.webSearches() > 0);
  }

  private static void putZeroIf(
      Map<CostComponent, BigDecimal> parts, CostComponent c, boolean used) {
    if (used) {
      parts.put(c, BigDecimal.ZERO);
    }
  }
}
