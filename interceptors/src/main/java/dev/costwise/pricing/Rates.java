package dev.costwise.pricing;

import java.math.BigDecimal;
import java.util.Map;

/**
 * Published prices of one model, each in the unit providers publish it in: USD per million tokens,
 * per image, per second of video or audio, per thousand characters, per thousand requests or web
 * searches. A null rate means "not published": usage of that kind cannot be priced and is flagged,
 * never priced at zero.
 *
 * @param imageVariants price per image keyed by {@code quality/size}, {@code size} or {@code
 *     quality}
 * @param cacheWrite1hPerMTok price of one-hour cache writes; {@code cacheWritePerMTok} is the
 *     default-lifetime (5-minute) write price
 * @param audioInputPerMTok price of audio input tokens (speech sent to a chat or realtime model)
 * @param audioOutputPerMTok price of audio output tokens (speech a chat or realtime model returns)
 * @param per1KRequests fee per thousand API requests, where a provider charges one per request
 * @param per1KWebSearches fee per thousand web searches keyed by search context size ({@code low},
 *     {@code medium}, {@code high}); empty when no fee is published
 */
public record Rates(
    BigDecimal inputPerMTok,
    BigDecimal outputPerMTok,
    BigDecimal cacheReadPerMTok,
    BigDecimal cacheWritePerMTok,
    BigDecimal reasoningPerMTok,
    BigDecimal perImage,
    Map<String, BigDecimal> imageVariants,
    BigDecimal perVideoSecond,
    BigDecimal perVideoSecondWithAudio,
    BigDecimal per1KChars,
    BigDecimal perAudioSecond,
    BigDecimal cacheWrite1hPerMTok,
    BigDecimal audioInputPerMTok,
    BigDecimal audioOutputPerMTok,
    BigDecimal per1KRequests,
    Map<String, BigDecimal> per1KWebSearches) {

  /**
   * Highest price accepted for any unit (USD per million tokens, per image, per second, per
   * thousand characters): a higher one is a typo, and with the largest usage a record may carry it
   * still fits the cost columns.
   */
  public static final BigDecimal MAX_PRICE = BigDecimal.valueOf(1_000_000);

  /**
   * Most decimal places a price may have (a finer one is a typo; stored amounts keep 18 places).
   */
  public static final int MAX_SCALE = 30;

  /**
   * Rejects a price that is negative, above {@link #MAX_PRICE} or finer than {@link #MAX_SCALE}.
   */
  static void check(BigDecimal v) {
    if (v == null) {
      return;
    }
    if (v.signum() < 0) {
      throw new IllegalArgumentException("price " + describe(v) + " is negative");
    }
    if (v.precision() - v.scale() > 7 || v.compareTo(MAX_PRICE) > 0) {
      throw new IllegalArgumentException(
          "price " + describe(v) + " is above the highest accepted price " + MAX_PRICE);
    }
    if (v.signum() != 0 && v.stripTrailingZeros().scale() > MAX_SCALE) {
      throw new IllegalArgumentException(
          "price " + describe(v) + " has more than " + MAX_SCALE + " decimal places");
    }
  }

  /** A short rendering, whatever the exponent (plain text of 1e999999999 would be a gigabyte). */
  static String describe(BigDecimal v) {
    String s = Math.abs((long) v.scale()) <= 40 ? v.toPlainString() : v.toString();
    return s.length() <= 48 ? s : s.substring(0, 48) + "…";
  }

  /** Rates with nothing published. */
  public static final Rates NONE =
      new Rates(
          null, null, null, null, null, null, Map.of(), null, null, null, null, null, null, null,
          null, Map.of());

  /** Rates without per-request or web-search fees. */
  public Rates(
      BigDecimal inputPerMTok,
      BigDecimal outputPerMTok,
      BigDecimal cacheReadPerMTok,
      BigDecimal cacheWritePerMTok,
      BigDecimal reasoningPerMTok,
      BigDecimal perImage,
      Map<String, BigDecimal> imageVariants,
      BigDecimal perVideoSecond,
      BigDecimal perVideoSecondWithAudio,
      BigDecimal per1KChars,
      BigDecimal perAudioSecond,
      BigDecimal cacheWrite1hPerMTok,
      BigDecimal audioInputPerMTok,
      BigDecimal audioOutputPerMTok) {
    this(
        inputPerMTok,
        outputPerMTok,
        cacheReadPerMTok,
        cacheWritePerMTok,
        reasoningPerMTok,
        perImage,
        imageVariants,
        perVideoSecond,
        perVideoSecondWithAudio,
        per1KChars,
        perAudioSecond,
        cacheWrite1hPerMTok,
        audioInputPerMTok,
        audioOutputPerMTok,
        null,
        Map.of());
  }

  /** Rates without audio-token prices. */
  public Rates(
      BigDecimal inputPerMTok,
      BigDecimal outputPerMTok,
      BigDecimal cacheReadPerMTok,
      BigDecimal cacheWritePerMTok,
      BigDecimal reasoningPerMTok,
      BigDecimal perImage,
      Map<String, BigDecimal> imageVariants,
      BigDecimal perVideoSecond,
      BigDecimal perVideoSecondWithAudio,
      BigDecimal per1KChars,
      BigDecimal perAudioSecond,
      BigDecimal cacheWrite1hPerMTok) {
    this(
        inputPerMTok,
        outputPerMTok,
        cacheReadPerMTok,
        cacheWritePerMTok,
        reasoningPerMTok,
        perImage,
        imageVariants,
        perVideoSecond,
        perVideoSecondWithAudio,
        per1KChars,
        perAudioSecond,
        cacheWrite1hPerMTok,
        null,
        null);
  }

  /** Rates without a separate one-hour cache-write price. */
  public Rates(
      BigDecimal inputPerMTok,
      BigDecimal outputPerMTok,
      BigDecimal cacheReadPerMTok,
      BigDecimal cacheWritePerMTok,
      BigDecimal reasoningPerMTok,
      BigDecimal perImage,
      Map<String, BigDecimal> imageVariants,
      BigDecimal perVideoSecond,
      BigDecimal perVideoSecondWithAudio,
      BigDecimal per1KChars,
      BigDecimal perAudioSecond) {
    this(
        inputPerMTok,
        outputPerMTok,
        cacheReadPerMTok,
        cacheWritePerMTok,
        reasoningPerMTok,
        perImage,
        imageVariants,
        perVideoSecond,
        perVideoSecondWithAudio,
        per1KChars,
        perAudioSecond,
        null);
  }

  /**
   * Copies the variant maps and rejects prices {@link #check} refuses and web-search fees keyed by
   * anything but a search context size.
   */
  public Rates {
    imageVariants = imageVariants == null ? Map.of() : Map.copyOf(imageVariants);
    per1KWebSearches = per1KWebSearches == null ? Map.of() : Map.copyOf(per1KWebSearches);
    for (BigDecimal v :
        new BigDecimal[] {
          inputPerMTok, outputPerMTok, cacheReadPerMTok, cacheWritePerMTok, reasoningPerMTok,
          perImage, perVideoSecond, perVideoSecondWithAudio, per1KChars, perAudioSecond,
          cacheWrite1hPerMTok, audioInputPerMTok, audioOutputPerMTok, per1KRequests
        }) {
      check(v);
    }
    per1KWebSearches.forEach(
        (k, v) -> {
          if (!dev.costwise.usage.Usage.SEARCH_CONTEXT_SIZES.contains(k)) {
            throw new IllegalArgumentException(
                "web-search fee for '"
                    + CatalogFormat.shorten(k, 40)
                    + "': the search context size must be low, medium or high");
          }
          check(v);
        });
    imageVariants.forEach(
        (k, v) -> {
          try {
            check(v);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("image price for '" + k + "': " + e.getMessage());
          }
        });
  }

  /** These rates with every rate {@code over} publishes taking precedence. */
  public Rates overlay(Rates over) {
    java.util.Map<String, BigDecimal> variants = new java.util.HashMap<>(imageVariants);
    variants.putAll(over.imageVariants);
    java.util.Map<String, BigDecimal> searches = new java.util.HashMap<>(per1KWebSearches);
    searches.putAll(over.per1KWebSearches);
    return new Rates(
        pick(over.inputPerMTok, inputPerMTok),
        pick(over.outputPerMTok, outputPerMTok),
        pick(over.cacheReadPerMTok, cacheReadPerMTok),
        pick(over.cacheWritePerMTok, cacheWritePerMTok),
        pick(over.reasoningPerMTok, reasoningPerMTok),
        pick(over.perImage, perImage),
        variants,
        pick(over.perVideoSecond, perVideoSecond),
        pick(over.perVideoSecondWithAudio, perVideoSecondWithAudio),
        pick(over.per1KChars, per1KChars),
        pick(over.perAudioSecond, perAudioSecond),
        pick(over.cacheWrite1hPerMTok, cacheWrite1hPerMTok),
        pick(over.audioInputPerMTok, audioInputPerMTok),
        pick(over.audioOutputPerMTok, audioOutputPerMTok),
        pick(over.per1KRequests, per1KRequests),
        searches);
  }

  /** Whether no rate at all is published. */
  public boolean isEmpty() {
    return inputPerMTok == null
        && outputPerMTok == null
        && cacheReadPerMTok == null
        && cacheWritePerMTok == null
        && reasoningPerMTok == null
        && perImage == null
        && imageVariants.isEmpty()
        && perVideoSecond == null
        && perVideoSecondWithAudio == null
        && per1KChars == null
        && perAudioSecond == null
        && cacheWrite1hPerMTok == null
        && audioInputPerMTok == null
        && audioOutputPerMTok == null
        && per1KRequests == null
        && per1KWebSearches.isEmpty();
  }

  private static BigDecimal pick(BigDecimal preferred, BigDecimal fallback) {
    return preferred != null ? preferred : fallback;
  }
}
