package dev.costwise.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts a LiteLLM-format pricing file (USD per token, keyed by model id) into catalog entries.
 *
 * <p>Per-token rates become per-million-token rates; per-character rates become per-1K-character
 * rates; long-context fields ({@code *_above_200k_tokens}) become tiers; size- and quality-prefixed
 * image entries ({@code hd/1024-x-1792/dall-e-3}) fold into their model as image variants,
 * per-pixel prices multiplied out to a per-image price rounded to a hundredth of a cent. Batch,
 * flex and priority rates ({@code *_batches}, {@code *_flex}, {@code *_priority} of the input,
 * output, cache-read, cache-write and audio-input token prices) become service tiers; their
 * long-context variants ({@code input_cost_per_token_above_272k_tokens_priority}) become the
 * service-tier rates of the long-context tier. {@code input_cost_per_audio_token} and {@code
 * output_cost_per_audio_token} become the audio-token rates; {@code
 * cache_creation_input_token_cost_above_1hr} becomes the one-hour cache-write rate (also per
 * long-context tier). {@code input_cost_per_request} (or {@code input_cost_per_query}, the per-call
 * fee of search and rerank APIs) becomes the per-request fee and {@code
 * search_context_cost_per_query} the web-search fees by search context size, both per thousand.
 * Entries with no price this product understands are left out, so usage of them is flagged unpriced
 * rather than priced at zero.
 */
final class LiteLlmImport {
  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
  private static final Pattern TIER_FIELD =
      Pattern.compile(
          "^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost|cache_creation_input_token_cost_above_1hr)_above_(\\d+)k_tokens(_batches|_flex|_priority)?$");
  private static final Pattern SIZE = Pattern.compile("^(\\d+)-x-(\\d+)$");
  private static final Set<String> QUALITIES = Set.of("standard", "hd", "low", "medium", "high");
  private static final Set<String> COST_FIELDS_IGNORED_FOR_FREE =
      Set.of("search_context_cost_per_query");

  private LiteLlmImport() {}

  static PriceCatalog convert(ObjectNode root, String name) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    List<Map.Entry<String, JsonNode>> variants = new java.util.ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("sample_spec") || !e.getValue().isObject()) {
        continue;
      }
      if (imageVariant(e.getKey()) != null) {
        variants.add(e);
      } else {
        entries.put(e.getKey().toLowerCase(Locale.ROOT), Entry.of(e.getKey(), e.getValue(), name));
      }
    }
    for (Map.Entry<String, JsonNode> e : variants) {
      Variant v = imageVariant(e.getKey());
      BigDecimal perImage = perImage(e.getValue(), v);
      if (perImage == null) {
        continue;
      }
      Entry base =
          entries.computeIfAbsent(
              v.model().toLowerCase(Locale.ROOT),
              k ->
                  new Entry(
                      v.model(),
                      e.getValue().path("litellm_provider").asText(""),
                      "image_generation",
                      name));
      base.variants.put(v.key(), perImage);
    }
    Map<String, ModelPrice> models = new TreeMap<>();
    for (Entry entry : entries.values()) {
      ModelPrice price = entry.toPrice();
      if (price.hasAnyPrice()) {
        models.put(price.id(), price);
      }
    }
    return PriceCatalog.of(models.values(), Map.of(), List.of(), name);
  }

  record Variant(String model, String quality, String size, long pixels) {
    String key() {
      return quality == null ? size : quality + "/" + size;
    }
  }

  /**
   * The model, size and quality named by a key such as {@code hd/1024-x-1792/dall-e-3} or {@code
   * 1024-x-1024/50-steps/bedrock/amazon.nova-canvas-v1:0}, or null when the key names no size.
   */
  static Variant imageVariant(String key) {
    String[] parts = key.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      Matcher m = SIZE.matcher(parts[i]);
      if (!m.matches()) {
        continue;
      }
      String quality = i > 0 && QUALITIES.contains(parts[i - 1]) ? parts[i - 1] : null;
      int prefixEnd = quality == null ? i : i - 1;
      int restStart = i + 1;
      if (restStart < parts.length - 1 && parts[restStart].endsWith("-steps")) {
        quality = parts[restStart];
        restStart++;
      }
      StringBuilder model = new StringBuilder();
      for (int p = 0; p < prefixEnd; p++) {
        model.append(parts[p]).append('/');
      }
      for (int p = restStart; p < parts.length; p++) {
        model.append(parts[p]).append(p < parts.length - 1 ? "/" : "");
      }
      long w = Long.parseLong(m.group(1));
      long h = Long.parseLong(m.group(2));
      return new Variant(model.toString(), quality, w + "x" + h, w * h);
    }
    return null;
  }

  private static BigDecimal perImage(JsonNode n, Variant v) {
    BigDecimal direct = firstDecimal(n, "output_cost_per_image", "input_cost_per_image");
    if (direct != null) {
      return direct;
    }
    BigDecimal pixel = add(decimal(n, "input_cost_per_pixel"), decimal(n, "output_cost_per_pixel"));
    if (pixel == null) {
      return null;
    }
    return pixel
        .multiply(BigDecimal.valueOf(v.pixels()))
        .setScale(4, RoundingMode.HALF_UP)
        .stripTrailingZeros();
  }

  private static final class Entry {
    final String id;
    final String provider;
    final String mode;
    final String source;
    JsonNode node;
    final Map<String, BigDecimal> variants = new HashMap<>();

    Entry(String id, String provider, String mode, String source) {
      this.id = id;
      this.provider = provider;
      this.mode = mode;
      this.source = source;
    }

    static Entry of(String id, JsonNode node, String source) {
      Entry e =
          new Entry(
              id, node.path("litellm_provider").asText(""), node.path("mode").asText(""), source);
      e.node = node;
      return e;
    }

    ModelPrice toPrice() {
      JsonNode n =
          node == null
              ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
              : node;
      boolean generatesImages = mode.startsWith("image");
      boolean generatesVideo = mode.equals("video_generation");
      BigDecimal perImage =
          generatesImages
              ? firstDecimal(n, "output_cost_per_image", "input_cost_per_image")
              : decimal(n, "output_cost_per_image");
      BigDecimal perSecond =
          firstDecimal(
              n,
              "output_cost_per_video_per_second",
              generatesVideo ? "output_cost_per_second" : null);
      BigDecimal audioSecond =
          mode.equals("audio_speech")
              ? decimal(n, "output_cost_per_second")
              : decimal(n, "input_cost_per_second");
      if (generatesVideo) {
        audioSecond = null;
      }
      Rates rates =
          new Rates(
              perMillion(decimal(n, "input_cost_per_token")),
              perMillion(decimal(n, "output_cost_per_token")),
              perMillion(decimal(n, "cache_read_input_token_cost")),
              perMillion(decimal(n, "cache_creation_input_token_cost")),
              perMillion(decimal(n, "output_cost_per_reasoning_token")),
              perImage,
              variants,
              perSecond,
              null,
              perThousand(decimal(n, "input_cost_per_character")),
              audioSecond,
              perMillion(decimal(n, "cache_creation_input_token_cost_above_1hr")),
              perMillion(decimal(n, "input_cost_per_audio_token")),
              perMillion(decimal(n, "output_cost_per_audio_token")),
              perThousand(firstDecimal(n, "input_cost_per_request", "input_cost_per_query")),
              webSearchFees(n));
      return new ModelPrice(
          id,
          provider,
          mode,
          isFree(n, rates),
          rates,
          tiers(n),
          source,
          serviceTiers(n),
          null,
          null);
    }

    /**
     * {@code search_context_cost_per_query} (USD per search, by {@code search_context_size_low},
     * {@code _medium}, {@code _high}) as fees per thousand searches.
     */
    private static Map<String, BigDecimal> webSearchFees(JsonNode n) {
      JsonNode fees = n.path("search_context_cost_per_query");
      Map<String, BigDecimal> bySize = new TreeMap<>();
      for (String size : dev.costwise.usage.Usage.SEARCH_CONTEXT_SIZES) {
        BigDecimal fee = perThousand(decimal(fees, "search_context_size_" + size));
        if (fee != null) {
          bySize.put(size, fee);
        }
      }
      return bySize;
    }

    private static Map<String, Rates> serviceTiers(JsonNode n) {
      Map<String, Rates> tiers = new TreeMap<>();
      for (String[] t :
          new String[][] {{"batch", "_batches"}, {"flex", "_flex"}, {"priority", "_priority"}}) {
        String x = t[1];
        Rates r =
            new Rates(
                perMillion(decimal(n, "input_cost_per_token" + x)),
                perMillion(decimal(n, "output_cost_per_token" + x)),
                perMillion(decimal(n, "cache_read_input_token_cost" + x)),
                perMillion(decimal(n, "cache_creation_input_token_cost" + x)),
                null,
                null,
                Map.of(),
                null,
                null,
                null,
                null,
                null,
                perMillion(decimal(n, "input_cost_per_audio_token" + x)),
                null);
        if (!r.isEmpty()) {
          tiers.put(t[0], r);
        }
      }
      return tiers;
    }

    private List<Tier> tiers(JsonNode n) {
      // fields by threshold, then by service-tier suffix ("" for the standard tier)
      Map<Long, Map<String, String[]>> byThreshold = new TreeMap<>();
      Iterator<String> names = n.fieldNames();
      while (names.hasNext()) {
        String field = names.next();
        Matcher m = TIER_FIELD.matcher(field);
        if (m.matches()) {
          String suffix = m.group(3) == null ? "" : m.group(3);
          String[] rates =
              byThreshold
                  .computeIfAbsent(Long.parseLong(m.group(2)) * 1000, k -> new TreeMap<>())
                  .computeIfAbsent(suffix, k -> new String[5]);
          int slot =
              switch (m.group(1)) {
                case "input_cost_per_token" -> 0;
                case "output_cost_per_token" -> 1;
                case "cache_read_input_token_cost" -> 2;
                case "cache_creation_input_token_cost" -> 3;
                default -> 4;
              };
          rates[slot] = field;
        }
      }
      List<Tier> tiers = new java.util.ArrayList<>();
      for (Map.Entry<Long, Map<String, String[]>> e : byThreshold.entrySet()) {
        Map<String, Rates> serviceTiers = new TreeMap<>();
        for (String[] t :
            new String[][] {{"batch", "_batches"}, {"flex", "_flex"}, {"priority", "_priority"}}) {
          String[] fields = e.getValue().get(t[1]);
          if (fields != null) {
            serviceTiers.put(t[0], tierRates(n, fields));
          }
        }
        String[] standard = e.getValue().getOrDefault("", new String[5]);
        tiers.add(new Tier(e.getKey(), tierRates(n, standard), serviceTiers));
      }
      return tiers;
    }

    private static Rates tierRates(JsonNode n, String[] fields) {
      return new Rates(
          perMillion(decimal(n, fields[0])),
          perMillion(decimal(n, fields[1])),
          perMillion(decimal(n, fields[2])),
          perMillion(decimal(n, fields[3])),
          null,
          null,
          Map.of(),
          null,
          null,
          null,
          null,
          perMillion(decimal(n, fields[4])));
    }
  }

  /** Free only when the entry publishes token prices and every published price is zero. */
  private static boolean isFree(JsonNode n, Rates rates) {
    if (!n.has("input_cost_per_token")) {
      return false;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = n.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if ((f.getKey().contains("cost_per") || f.getKey().endsWith("_cost"))
          && !COST_FIELDS_IGNORED_FOR_FREE.contains(f.getKey())
          && f.getValue().isNumber()
          && f.getValue().decimalValue().signum() != 0) {
        return false;
      }
    }
    return rates.imageVariants().isEmpty()
        && rates.per1KWebSearches().values().stream().allMatch(v -> v.signum() == 0);
  }

  private static BigDecimal perMillion(BigDecimal perToken) {
    return perToken == null ? null : perToken.multiply(MILLION).stripTrailingZeros();
  }

  private static BigDecimal perThousand(BigDecimal perUnit) {
    return perUnit == null ? null : perUnit.movePointRight(3).stripTrailingZeros();
  }

  private static BigDecimal firstDecimal(JsonNode n, String first, String second) {
    BigDecimal v = decimal(n, first);
    return v != null || second == null ? v : decimal(n, second);
  }

  private static BigDecimal add(BigDecimal a, BigDecimal b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a.add(b);
  }

  private static BigDecimal decimal(JsonNode n, String field) {
    if (field == null) {
      return null;
    }
    JsonNode v = n.get(field);
    if (v == null || !v.isNumber()) {
      return null;
    }
    BigDecimal d = v.decimalValue();
    return d.signum() < 0 ? null : d;
  }
}
