package dev.costwise.pricing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes price files. Two formats are accepted, told apart by shape: Costwise's own (an
 * object with a {@code models} array; rates in published units, as decimal strings) and the widely
 * used LiteLLM pricing file (an object keyed by model id, rates in USD per token), which {@link
 * LiteLlmImport} converts.
 *
 * <pre>{@code
 * {
 *   "source": "my team's negotiated prices", "asOf": "2026-11-01",
 *   "models": [
 *     {"id": "gpt-4o", "provider": "openai", "mode": "chat",
 *      "prices": {"inputPerMTok": "2.50", "outputPerMTok": "10", "cacheReadPerMTok": "1.25"},
 *      // also: cacheWritePerMTok (5-minute writes), cacheWrite1hPerMTok (one-hour writes),
 *      // audioInputPerMTok, audioOutputPerMTok (audio tokens of chat and realtime models),
 *      // per1KRequests (a fee per thousand requests), per1KWebSearches (a fee per thousand
 *      // web searches: one decimal, or {"low": …, "medium": …, "high": …} by search context size)
 *      "tiers": [{"aboveInputTokens": 200000, "prices": {"inputPerMTok": "5"},
 *                 "serviceTiers": {"priority": {"inputPerMTok": "9"}}}],
 *      "serviceTiers": {"batch": {"inputPerMTok": "1.25", "outputPerMTok": "5"}}},
 *     {"id": "gpt-4o", "effectiveFrom": "2026-12-01", "prices": {"inputPerMTok": "2"}},
 *     {"id": "llama3-local", "free": true}
 *     {"id": "llama3-local", "free": true}
 *   ],
 *   "aliases": {"writer-model": "gpt-4o"},
 *   "patterns": [{"match": "ollama/*", "model": "llama3-local"}]
 * }
 * }</pre>
 *
 * <p>An id may appear more than once when every appearance carries dates ({@code effectiveFrom}
 * inclusive, {@code effectiveTo} exclusive, UTC days) that do not overlap: a usage record is priced
 * at the version in force on the day its attempt started.
 */
public final class CatalogFormat {
  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(SerializationFeature.INDENT_OUTPUT);

  private static final Set<String> PRICE_KEYS =
      Set.of(
          "inputPerMTok",
          "outputPerMTok",
          "cacheReadPerMTok",
          "cacheWritePerMTok",
          "cacheWrite1hPerMTok",
          "reasoningPerMTok",
          "perImage",
          "images",
          "perVideoSecond",
          "perVideoSecondWithAudio",
          "per1KChars",
          "perAudioSecond",
          "audioInputPerMTok",
          "audioOutputPerMTok",
          "per1KRequests",
          "per1KWebSearches");

  private CatalogFormat() {}

  /** Reads a price file of either format. */
  public static PriceCatalog read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CatalogException("Price file " + file + " does not exist or is not a file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    } catch (IOException e) {
      throw new CatalogException("Cannot read price file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a price file of either format from a stream; {@code name} is used in error messages. */
  public static PriceCatalog read(InputStream in, String name) {
    JsonNode root;
    try (com.fasterxml.jackson.core.JsonParser parser = JSON.createParser(in)) {
      try {
        root = JSON.readTree(parser);
      } catch (JsonProcessingException e) {
        // some errors (nesting too deep, a number too long) carry no location: the parser has it
        com.fasterxml.jackson.core.JsonLocation at =
            e.getLocation() != null ? e.getLocation() : parser.currentLocation();
        throw new CatalogException(
            "Price file "
                + name
                + " is not valid JSON at line "
                + at.getLineNr()
                + ", column "
                + at.getColumnNr()
                + entry(parser)
                + ": "
                + shorten(
                    e.getOriginalMessage() == null
                        ? e.getClass().getSimpleName()
                        : e.getOriginalMessage(),
                    200),
            e);
      }
    } catch (IOException e) {
      throw new CatalogException("Cannot read price file " + name + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CatalogException("Price file " + name + " must hold a JSON object");
    }
    if (root.has("models")) {
      return readCostwise((ObjectNode) root, name);
    }
    return LiteLlmImport.convert((ObjectNode) root, name);
  }

  /** Where in the document the parser stopped, as the first levels of a JSON pointer. */
  private static String entry(com.fasterxml.jackson.core.JsonParser parser) {
    String pointer = parser.getParsingContext().pathAsPointer().toString();
    if (pointer.isEmpty()) {
      return "";
    }
    String[] parts = pointer.substring(1).split("/", -1);
    int shown = Math.min(parts.length, 4);
    StringBuilder b = new StringBuilder(" (in ");
    for (int i = 0; i < shown; i++) {
      String part = parts[i].length() > 40 ? parts[i].substring(0, 40) + "..." : parts[i];
      b.append('/').append(part);
    }
    return b.append(parts.length > shown ? "/... " + parts.length + " levels deep)" : ")")
        .toString();
  }

  private static PriceCatalog readCostwise(ObjectNode root, String name) {
    String source = text(root, "source", name);
    String asOf = text(root, "asOf", "");
    String label = asOf.isEmpty() ? source : source + " (as of " + asOf + ")";
    JsonNode modelsNode = root.get("models");
    if (!modelsNode.isArray()) {
      throw new CatalogException("Price file " + name + ": 'models' must be an array");
    }
    List<ModelPrice> models = new ArrayList<>();
    Map<String, Integer> seen = new java.util.HashMap<>();
    int index = 0;
    for (JsonNode m : modelsNode) {
      int at = index++;
      String where = "Price file " + name + ", models[" + at + "]";
      if (!m.isObject()
          || !m.hasNonNull("id")
          || !m.get("id").isTextual()
          || m.get("id").asText().isBlank()) {
        throw new CatalogException(where + ": each model needs a non-empty text \"id\"");
      }
      where += " ('" + shorten(m.get("id").asText(), 80) + "')";
      boolean dated = m.hasNonNull("effectiveFrom") || m.hasNonNull("effectiveTo");
      Integer first =
          dated
              ? null
              : seen.putIfAbsent(
                  m.get("id").asText().strip().toLowerCase(java.util.Locale.ROOT), at);
      if (first != null) {
        throw new CatalogException(
            where
                + ": duplicate id, already given at models["
                + first
                + "]; give each model once, or give each version effectiveFrom/effectiveTo dates");
      }
      try {
        List<Tier> tiers = new ArrayList<>();
        for (JsonNode t : m.path("tiers")) {
          if (!t.has("aboveInputTokens") || !t.get("aboveInputTokens").canConvertToLong()) {
            throw new CatalogException(
                where + ": each tier needs a whole-number \"aboveInputTokens\"");
          }
          tiers.add(
              new Tier(
                  t.get("aboveInputTokens").asLong(),
                  rates(t.path("prices"), where),
                  serviceTiers(t.path("serviceTiers"), where + " tiers")));
        }
        ModelPrice price =
            new ModelPrice(
                m.get("id").asText().strip(),
                m.path("provider").asText(""),
                m.path("mode").asText(""),
                m.path("free").asBoolean(false),
                rates(m.path("prices"), where),
                tiers,
                m.hasNonNull("source") ? m.get("source").asText() : label,
                serviceTiers(m.path("serviceTiers"), where),
                day(m.get("effectiveFrom"), where + " effectiveFrom"),
                day(m.get("effectiveTo"), where + " effectiveTo"));
        if (!price.hasAnyPrice()) {
          throw new CatalogException(
              where
                  + ": no price given; give \"prices\" or mark it \"free\": true (it would otherwise be unpriced)");
        }
        models.add(price);
      } catch (IllegalArgumentException e) {
        throw new CatalogException(where + ": " + e.getMessage(), e);
      }
    }
    Map<String, String> aliases = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = root.path("aliases").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      aliases.put(e.getKey(), e.getValue().asText());
    }
    List<PriceCatalog.PatternRule> patterns = new ArrayList<>();
    for (JsonNode p : root.path("patterns")) {
      try {
        patterns.add(
            new PriceCatalog.PatternRule(
                p.path("match").asText(null), p.path("model").asText(null)));
      } catch (IllegalArgumentException e) {
        throw new CatalogException("Price file " + name + ": " + e.getMessage(), e);
      }
    }
    try {
      return PriceCatalog.of(models, aliases, patterns, label, asOf);
    } catch (CatalogException e) {
      throw new CatalogException("Price file " + name + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, Rates> serviceTiers(JsonNode node, String where) {
    if (node.isMissingNode() || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new CatalogException(where + ": \"serviceTiers\" must be an object");
    }
    Map<String, Rates> tiers = new LinkedHashMap<>();
    node.fields()
        .forEachRemaining(
            e ->
                tiers.put(
                    e.getKey(),
                    rates(e.getValue(), where + " serviceTiers." + shorten(e.getKey(), 40))));
    return tiers;
  }

  private static java.time.LocalDate day(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return null;
    }
    String text = node.asText().strip();
    try {
      return java.time.LocalDate.parse(text.length() > 10 ? "bad" : text);
    } catch (java.time.format.DateTimeParseException e) {
      throw new CatalogException(
          where + ": '" + shorten(text, 40) + "' is not a date (yyyy-mm-dd)");
    }
  }

  private static Rates rates(JsonNode prices, String where) {
    if (prices.isMissingNode() || prices.isNull()) {
      return Rates.NONE;
    }
    if (!prices.isObject()) {
      throw new CatalogException(where + ": \"prices\" must be an object");
    }
    prices
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (!PRICE_KEYS.contains(k)) {
                throw new CatalogException(
                    where + ": unknown price \"" + k + "\"; known prices are " + PRICE_KEYS);
              }
            });
    Map<String, BigDecimal> variants = new LinkedHashMap<>();
    prices
        .path("images")
        .fields()
        .forEachRemaining(
            e ->
                variants.put(
                    e.getKey().toLowerCase(java.util.Locale.ROOT).replace("-x-", "x"),
                    decimal(e.getValue(), where + " images." + e.getKey())));
    return new Rates(
        decimal(prices.get("inputPerMTok"), where + " inputPerMTok"),
        decimal(prices.get("outputPerMTok"), where + " outputPerMTok"),
        decimal(prices.get("cacheReadPerMTok"), where + " cacheReadPerMTok"),
        decimal(prices.get("cacheWritePerMTok"), where + " cacheWritePerMTok"),
        decimal(prices.get("reasoningPerMTok"), where + " reasoningPerMTok"),
        decimal(prices.get("perImage"), where + " perImage"),
        variants,
        decimal(prices.get("perVideoSecond"), where + " perVideoSecond"),
        decimal(prices.get("perVideoSecondWithAudio"), where + " perVideoSecondWithAudio"),
        decimal(prices.get("per1KChars"), where + " per1KChars"),
        decimal(prices.get("perAudioSecond"), where + " perAudioSecond"),
        decimal(prices.get("cacheWrite1hPerMTok"), where + " cacheWrite1hPerMTok"),
        decimal(prices.get("audioInputPerMTok"), where + " audioInputPerMTok"),
        decimal(prices.get("audioOutputPerMTok"), where + " audioOutputPerMTok"),
        decimal(prices.get("per1KRequests"), where + " per1KRequests"),
        webSearchFees(prices.get("per1KWebSearches"), where + " per1KWebSearches"));
  }

  /**
   * Web-search fees: one decimal for every search context size, or an object keyed by size ({@code
   * low}, {@code medium}, {@code high}).
   */
  private static Map<String, BigDecimal> webSearchFees(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return Map.of();
    }
    Map<String, BigDecimal> fees = new LinkedHashMap<>();
    if (!node.isObject()) {
      BigDecimal fee = decimal(node, where);
      dev.costwise.usage.Usage.SEARCH_CONTEXT_SIZES.forEach(size -> fees.put(size, fee));
      return fees;
    }
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String size = e.getKey().strip().toLowerCase(java.util.Locale.ROOT);
      if (!dev.costwise.usage.Usage.SEARCH_CONTEXT_SIZES.contains(size)) {
        throw new CatalogException(
            where
                + ": unknown search context size \""
                + shorten(e.getKey(), 40)
                + "\"; give low, medium or high");
      }
      fees.put(size, decimal(e.getValue(), where + "." + size));
    }
    return fees;
  }

  private static BigDecimal decimal(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return null;
    }
    BigDecimal value;
    if (node.isTextual()) {
      String text = node.asText().strip();
      try {
        if (text.length() > 50) {
          throw new NumberFormatException();
        }
        value = new BigDecimal(text);
      } catch (NumberFormatException e) {
        throw new CatalogException(
            where
                + ": '"
                + shorten(text, 50)
                + "' is not a decimal number (at most 50 characters)");
      }
    } else if (node.isNumber()) {
      value = node.decimalValue();
    } else {
      throw new CatalogException(
          where + ": expected a decimal number, found " + node.getNodeType());
    }
    try {
      Rates.check(value);
    } catch (IllegalArgumentException e) {
      throw new CatalogException(where + ": " + e.getMessage());
    }
    return value;
  }

  /** {@code s} cut to {@code max} characters, control characters shown as '?'. */
  static String shorten(String s, int max) {
    return dev.costwise.usage.Printable.echo(s, max);
  }

  private static String text(JsonNode root, String field, String fallback) {
    JsonNode n = root.get(field);
    return n == null || n.isNull() ? fallback : n.asText();
  }

  /** Writes a catalog in Costwise's own format. */
  public static void write(PriceCatalog catalog, String source, String asOf, Path file)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("source", source);
    root.put("asOf", asOf);
    ArrayNode models = root.putArray("models");
    sorted(catalog).forEach(m -> models.add(modelNode(m)));
    Files.writeString(file, JSON.writeValueAsString(root) + "\n");
  }

  /** Every version of every entry, by id then first day in force. */
  private static List<ModelPrice> sorted(PriceCatalog catalog) {
    return catalog.allVersions().stream()
        .sorted(
            java.util.Comparator.comparing(ModelPrice::id)
                .thenComparing(
                    ModelPrice::effectiveFrom,
                    java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())))
        .toList();
  }

  /**
   * The first 16 hex digits of the SHA-256 of a catalog's canonical content: every version of every
   * entry (sorted), the aliases (sorted) and the patterns (in order). Labels are left out, so the
   * same prices loaded from two places hash alike.
   */
  static String contentHash(PriceCatalog catalog) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode models = root.putArray("models");
    sorted(catalog).forEach(m -> models.add(modelNode(m)));
    ObjectNode aliases = root.putObject("aliases");
    new java.util.TreeMap<>(catalog.aliases()).forEach(aliases::put);
    ArrayNode patterns = root.putArray("patterns");
    catalog
        .patterns()
        .forEach(p -> patterns.addObject().put("match", p.glob()).put("model", p.model()));
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  new ObjectMapper()
                      .writeValueAsString(root)
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest).substring(0, 16);
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot hash the catalog", e);
    }
  }

  /** One model's entry as it appears in a catalog file, as pretty JSON. */
  public static String toJson(ModelPrice model) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(modelNode(model));
    } catch (IOException e) {
      throw new IllegalStateException("cannot render " + model.id(), e);
    }
  }

  private static ObjectNode modelNode(ModelPrice m) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", m.id());
    if (!m.provider().isEmpty()) {
      n.put("provider", m.provider());
    }
    if (!m.mode().isEmpty()) {
      n.put("mode", m.mode());
    }
    if (m.free()) {
      n.put("free", true);
    }
    if (!m.rates().isEmpty()) {
      n.set("prices", ratesNode(m.rates(), Rates.NONE));
    }
    if (m.effectiveFrom() != null) {
      n.put("effectiveFrom", m.effectiveFrom().toString());
    }
    if (m.effectiveTo() != null) {
      n.put("effectiveTo", m.effectiveTo().toString());
    }
    if (!m.serviceTiers().isEmpty()) {
      ObjectNode st = n.putObject("serviceTiers");
      new java.util.TreeMap<>(m.serviceTiers())
          .forEach((k, r) -> st.set(k, ratesNode(r, Rates.NONE)));
    }
    if (!m.tiers().isEmpty()) {
      ArrayNode tiers = n.putArray("tiers");
      for (Tier t : m.tiers()) {
        ObjectNode tn = tiers.addObject();
        tn.put("aboveInputTokens", t.aboveInputTokens());
        tn.set("prices", ratesNode(t.rates(), m.rates()));
        if (!t.serviceTiers().isEmpty()) {
          ObjectNode st = tn.putObject("serviceTiers");
          new java.util.TreeMap<>(t.serviceTiers())
              .forEach((k, r) -> st.set(k, ratesNode(r, Rates.NONE)));
        }
      }
    }
    return n;
  }

  private static ObjectNode ratesNode(Rates r, Rates base) {
    ObjectNode n = JSON.createObjectNode();
    putIfChanged(n, "inputPerMTok", r.inputPerMTok(), base.inputPerMTok());
    putIfChanged(n, "outputPerMTok", r.outputPerMTok(), base.outputPerMTok());
    putIfChanged(n, "cacheReadPerMTok", r.cacheReadPerMTok(), base.cacheReadPerMTok());
    putIfChanged(n, "cacheWritePerMTok", r.cacheWritePerMTok(), base.cacheWritePerMTok());
    putIfChanged(n, "cacheWrite1hPerMTok", r.cacheWrite1hPerMTok(), base.cacheWrite1hPerMTok());
    putIfChanged(n, "reasoningPerMTok", r.reasoningPerMTok(), base.reasoningPerMTok());
    putIfChanged(n, "perImage", r.perImage(), base.perImage());
    if (!r.imageVariants().equals(base.imageVariants())) {
      ObjectNode images = n.putObject("images");
      new java.util.TreeMap<>(r.imageVariants())
          .forEach((k, v) -> images.put(k, v.toPlainString()));
    }
    putIfChanged(n, "perVideoSecond", r.perVideoSecond(), base.perVideoSecond());
    putIfChanged(
        n, "perVideoSecondWithAudio", r.perVideoSecondWithAudio(), base.perVideoSecondWithAudio());
    putIfChanged(n, "per1KChars", r.per1KChars(), base.per1KChars());
    putIfChanged(n, "perAudioSecond", r.perAudioSecond(), base.perAudioSecond());
    putIfChanged(n, "audioInputPerMTok", r.audioInputPerMTok(), base.audioInputPerMTok());
    putIfChanged(n, "audioOutputPerMTok", r.audioOutputPerMTok(), base.audioOutputPerMTok());
    putIfChanged(n, "per1KRequests", r.per1KRequests(), base.per1KRequests());
    if (!r.per1KWebSearches().isEmpty() && !r.per1KWebSearches().equals(base.per1KWebSearches())) {
      ObjectNode searches = n.putObject("per1KWebSearches");
      for (String size : dev.costwise.usage.Usage.SEARCH_CONTEXT_SIZES) {
        BigDecimal fee = r.per1KWebSearches().get(size);
        if (fee != null) {
          searches.put(size, Money.plain(fee));
        }
      }
    }
    return n;
  }

  private static void putIfChanged(ObjectNode n, String key, BigDecimal value, BigDecimal base) {
    if (value != null && (base == null || value.compareTo(base) != 0)) {
      n.put(key, Money.plain(value));
    }
  }
}
