package dev.costwise.usage;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Objects;

/**
 * What one model call consumed, as reported by the provider: tokens by kind, generated images,
 * video seconds, synthesized characters and audio seconds, tagged with provider and model.
 *
 * <p>Token counts are disjoint: {@code inputTokens} are the uncached prompt tokens, cache reads and
 * cache writes are counted apart, and {@code reasoningTokens} are not included in {@code
 * outputTokens}. Cache writes are split by lifetime: {@code cacheWriteTokens} are writes at the
 * provider's default lifetime (Anthropic's 5 minutes), {@code cacheWrite1hTokens} are one-hour
 * writes (Anthropic bills them at twice the input rate); the two never overlap. Build instances
 * with {@link #of(String, String)}.
 *
 * <p>{@code audioInputTokens} and {@code audioOutputTokens} are audio tokens of chat and realtime
 * models, counted apart from (not included in) the text tokens. {@code serviceTier} is the
 * provider's service tier the call ran at ({@code batch}, {@code flex}, {@code priority}); null
 * means the standard tier.
 *
 * <p>{@code requests} and {@code webSearches} count what some providers bill per call rather than
 * per token: API requests (a per-request fee, such as Perplexity's online models or a search or
 * rerank API) and searches the model ran with a web-search tool. {@code searchContextSize} ({@code
 * low}, {@code medium}, {@code high}) is the search context size the searches ran with, where the
 * price depends on it; null means the provider's default ({@code medium}).
 *
 * <p>The amounts are also available as one {@link UsageCounts} ({@link #counts()}), the value
 * stored steps and totals carry; they stay flat here because a usage record is part of activity
 * results (its JSON shape is a wire format) and of the public constructor.
 */
public record Usage(
    String provider,
    String model,
    long inputTokens,
    long outputTokens,
    long cacheReadTokens,
    long cacheWriteTokens,
    long reasoningTokens,
    long images,
    String imageSize,
    String imageQuality,
    BigDecimal videoSeconds,
    boolean videoWithAudio,
    long characters,
    BigDecimal audioSeconds,
    long cacheWrite1hTokens,
    long audioInputTokens,
    long audioOutputTokens,
    String serviceTier,
    long requests,
    long webSearches,
    String searchContextSize) {

  /** Most tokens of one kind a single record may carry; larger values are taken to be bugs. */
  public static final long MAX_TOKENS = 100_000_000L;

  /** Most images a single record may carry. */
  public static final long MAX_IMAGES = 10_000L;

  /** Most seconds of video or audio a single record may carry (one day). */
  public static final BigDecimal MAX_SECONDS = BigDecimal.valueOf(86_400);

  /** Most characters a single speech record may carry. */
  public static final long MAX_CHARACTERS = 100_000_000L;

  /**
   * Longest model name kept; longer names are cut (after control characters are removed), so a
   * strange name reported by a provider never costs the record.
   */
  public static final int MAX_MODEL = 200;

  /** Longest provider name kept, cut the same way. */
  public static final int MAX_PROVIDER = 64;

  /** Most requests or web searches a single record may carry. */
  public static final long MAX_CALLS = 1_000_000L;

  /** Search context sizes a web search may be priced at. */
  public static final java.util.List<String> SEARCH_CONTEXT_SIZES =
      java.util.List.of("low", "medium", "high");

  /** Seconds are kept to the millisecond. */
  public static final int SECONDS_SCALE = 3;

  /** Validates every field; a record is either whole and sane or not created at all. */
  public Usage {
    if (model == null || model.isBlank()) {
      throw new InvalidUsageException(
          "Usage needs a model name, for example Usage.of(\"openai\", \"gpt-4o\")");
    }
    model = cleanName(model, MAX_MODEL);
    if (model.isEmpty()) {
      throw new InvalidUsageException("Usage needs a model name of printable characters");
    }
    provider = provider == null ? "" : cleanName(provider, MAX_PROVIDER).toLowerCase(Locale.ROOT);
    checkCount("inputTokens", inputTokens, MAX_TOKENS, model);
    checkCount("outputTokens", outputTokens, MAX_TOKENS, model);
    checkCount("cacheReadTokens", cacheReadTokens, MAX_TOKENS, model);
    checkCount("cacheWriteTokens", cacheWriteTokens, MAX_TOKENS, model);
    checkCount("reasoningTokens", reasoningTokens, MAX_TOKENS, model);
    checkCount("cacheWrite1hTokens", cacheWrite1hTokens, MAX_TOKENS, model);
    checkCount("audioInputTokens", audioInputTokens, MAX_TOKENS, model);
    checkCount("audioOutputTokens", audioOutputTokens, MAX_TOKENS, model);
    serviceTier = normalizeServiceTier(serviceTier, model);
    checkCount("requests", requests, MAX_CALLS, model);
    checkCount("webSearches", webSearches, MAX_CALLS, model);
    searchContextSize = normalizeSearchContextSize(searchContextSize, model);
    checkCount("images", images, MAX_IMAGES, model);
    checkCount("characters", characters, MAX_CHARACTERS, model);
    videoSeconds = checkSeconds("videoSeconds", videoSeconds, model);
    audioSeconds = checkSeconds("audioSeconds", audioSeconds, model);
    imageSize = normalizeImageSize(imageSize == null ? null : cleanName(imageSize, 32));
    imageQuality =
        imageQuality == null || imageQuality.isBlank()
            ? null
            : cleanName(imageQuality, 32).toLowerCase(Locale.ROOT);
  }

  /** A short rendering of any amount (the plain text of 1e999999999 would be a gigabyte). */
  private static String shown(BigDecimal v) {
    String text = Math.abs((long) v.scale()) <= 40 ? v.toPlainString() : v.toString();
    return text.length() <= 48 ? text : text.substring(0, 48) + "…";
  }

  /**
   * {@code name} without control characters or broken surrogates, stripped and cut to {@code max}.
   */
  private static String cleanName(String name, int max) {
    return Printable.cut(Printable.of(name).strip(), max).strip();
  }

  /** A record without one-hour cache writes (the shape before they were counted apart). */
  public Usage(
      String provider,
      String model,
      long inputTokens,
      long outputTokens,
      long cacheReadTokens,
      long cacheWriteTokens,
      long reasoningTokens,
      long images,
      String imageSize,
      String imageQuality,
      BigDecimal videoSeconds,
      boolean videoWithAudio,
      long characters,
      BigDecimal audioSeconds) {
    this(
        provider,
        model,
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        reasoningTokens,
        images,
        imageSize,
        imageQuality,
        videoSeconds,
        videoWithAudio,
        characters,
        audioSeconds,
        0,
        0,
        0,
        null,
        0,
        0,
        null);
  }

  /** A record without audio tokens or a service tier (the shape before they were counted). */
  public Usage(
      String provider,
      String model,
      long inputTokens,
      long outputTokens,
      long cacheReadTokens,
      long cacheWriteTokens,
      long reasoningTokens,
      long images,
      String imageSize,
      String imageQuality,
      BigDecimal videoSeconds,
      boolean videoWithAudio,
      long characters,
      BigDecimal audioSeconds,
      long cacheWrite1hTokens) {
    this(
        provider,
        model,
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        reasoningTokens,
        images,
        imageSize,
        imageQuality,
        videoSeconds,
        videoWithAudio,
        characters,
        audioSeconds,
        cacheWrite1hTokens,
        0,
        0,
        null,
        0,
        0,
        null);
  }

  /** A record without requests or web searches (the shape before they were counted). */
  public Usage(
      String provider,
      String model,
      long inputTokens,
      long outputTokens,
      long cacheReadTokens,
      long cacheWriteTokens,
      long reasoningTokens,
      long images,
      String imageSize,
      String imageQuality,
      BigDecimal videoSeconds,
      boolean videoWithAudio,
      long characters,
      BigDecimal audioSeconds,
      long cacheWrite1hTokens,
      long audioInputTokens,
      long audioOutputTokens,
      String serviceTier) {
    this(
        provider,
        model,
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        reasoningTokens,
        images,
        imageSize,
        imageQuality,
        videoSeconds,
        videoWithAudio,
        characters,
        audioSeconds,
        cacheWrite1hTokens,
        audioInputTokens,
        audioOutputTokens,
        serviceTier,
        0,
        0,
        null);
  }

  /** Longest service-tier name accepted. */
  public static final int MAX_SERVICE_TIER = 32;

  /**
   * The tier in lower case, null for none or {@code standard}/{@code default}/{@code auto}
   * (providers' names for the standard tier); rejects names that are not short words.
   */
  private static String normalizeServiceTier(String tier, String model) {
    if (tier == null || tier.isBlank()) {
      return null;
    }
    String t = tier.strip().toLowerCase(Locale.ROOT);
    if (t.length() > MAX_SERVICE_TIER || !t.matches("[a-z0-9_-]+")) {
      throw new InvalidUsageException(
          "serviceTier for model '"
              + model
              + "' is '"
              + Printable.echo(tier, MAX_SERVICE_TIER)
              + "'; give a short name such as batch, flex or priority");
    }
    return switch (t) {
      case "standard", "default", "auto", "standard_only" -> null;
      case "batches" -> "batch";
      default -> t;
    };
  }

  /**
   * The size in lower case, null for none; rejects anything but {@code low}, {@code medium} and
   * {@code high}.
   */
  private static String normalizeSearchContextSize(String size, String model) {
    if (size == null || size.isBlank()) {
      return null;
    }
    String s = size.strip().toLowerCase(Locale.ROOT);
    if (!SEARCH_CONTEXT_SIZES.contains(s)) {
      throw new InvalidUsageException(
          "searchContextSize for model '"
              + model
              + "' is '"
              + Printable.echo(size, MAX_SERVICE_TIER)
              + "'; give low, medium or high");
    }
    return s;
  }

  /** Starts a record for one call of {@code model} at {@code provider} (provider may be empty). */
  public static Builder of(String provider, String model) {
    return new Builder(provider, model);
  }

  /** Input tokens of every kind that count toward a long-context tier threshold. */
  public long promptTokens() {
    return counts().promptTokens();
  }

  /**
   * The amounts of this record, kind by kind. (Named so that JSON mappers do not see a bean
   * property.)
   */
  public UsageCounts counts() {
    return new UsageCounts(
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        cacheWrite1hTokens,
        reasoningTokens,
        images,
        videoSeconds,
        characters,
        audioSeconds,
        audioInputTokens,
        audioOutputTokens,
        requests,
        webSearches);
  }

  /**
   * Whether any count is non-zero. (Named so that JSON mappers do not see a bean property: usage
   * records travel inside activity results.)
   */
  public boolean hasConsumption() {
    return !counts().isZero();
  }

  private static void checkCount(String field, long value, long max, String model) {
    if (value < 0) {
      throw new InvalidUsageException(
          field + " for model '" + model + "' is " + value + "; counts must be zero or positive");
    }
    if (value > max) {
      throw new InvalidUsageException(
          field
              + " for model '"
              + model
              + "' is "
              + value
              + ", above the limit of "
              + max
              + " for one record; record each model call separately");
    }
  }

  private static BigDecimal checkSeconds(String field, BigDecimal value, String model) {
    if (value == null) {
      return BigDecimal.ZERO.setScale(SECONDS_SCALE);
    }
    if (value.signum() < 0) {
      throw new InvalidUsageException(
          field
              + " for model '"
              + model
              + "' is "
              + shown(value)
              + "; seconds must be zero or positive");
    }
    if (value.compareTo(MAX_SECONDS) > 0) {
      throw new InvalidUsageException(
          field
              + " for model '"
              + model
              + "' is "
              + shown(value)
              + ", above the limit of "
              + MAX_SECONDS
              + " seconds for one record");
    }
    if (value.stripTrailingZeros().scale() > SECONDS_SCALE) {
      throw new InvalidUsageException(
          field
              + " for model '"
              + model
              + "' is "
              + shown(value)
              + "; seconds are recorded to the millisecond (at most 3 decimals)");
    }
    return value.setScale(SECONDS_SCALE);
  }

  /**
   * Normalizes {@code 1024X1024}, {@code 1024-x-1024} and {@code 1024 x 1024} to {@code 1024x1024}.
   */
  static String normalizeImageSize(String size) {
    if (size == null || size.isBlank()) {
      return null;
    }
    return size.strip().toLowerCase(Locale.ROOT).replace("-x-", "x").replace(" ", "");
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Usage u)) {
      return false;
    }
    return inputTokens == u.inputTokens
        && outputTokens == u.outputTokens
        && cacheReadTokens == u.cacheReadTokens
        && cacheWriteTokens == u.cacheWriteTokens
        && cacheWrite1hTokens == u.cacheWrite1hTokens
        && audioInputTokens == u.audioInputTokens
        && audioOutputTokens == u.audioOutputTokens
        && Objects.equals(serviceTier, u.serviceTier)
        && requests == u.requests
        && webSearches == u.webSearches
        && Objects.equals(searchContextSize, u.searchContextSize)
        && reasoningTokens == u.reasoningTokens
        && images == u.images
        && videoWithAudio == u.videoWithAudio
        && characters == u.characters
        && provider.equals(u.provider)
        && model.equals(u.model)
        && Objects.equals(imageSize, u.imageSize)
        && Objects.equals(imageQuality, u.imageQuality)
        && videoSeconds.compareTo(u.videoSeconds) == 0
        && audioSeconds.compareTo(u.audioSeconds) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(provider, model, inputTokens, outputTokens, images, characters);
  }

  /** Fluent builder; {@link #build()} validates. */
  public static final class Builder {
    private final String provider;
    private final String model;
    private long inputTokens;
    private long outputTokens;
    private long cacheReadTokens;
    private long cacheWriteTokens;
    private long cacheWrite1hTokens;
    private long reasoningTokens;
    private long images;
    private String imageSize;
    private String imageQuality;
    private BigDecimal videoSeconds;
    private boolean videoWithAudio;
    private long characters;
    private BigDecimal audioSeconds;
    private long audioInputTokens;
    private long audioOutputTokens;
    private String serviceTier;
    private long requests;
    private long webSearches;
    private String searchContextSize;

    private Builder(String provider, String model) {
      this.provider = provider;
      this.model = model;
    }

    /** Uncached prompt tokens. */
    public Builder inputTokens(long n) {
      this.inputTokens = n;
      return this;
    }

    /** Completion tokens, not counting reasoning tokens. */
    public Builder outputTokens(long n) {
      this.outputTokens = n;
      return this;
    }

    /** Prompt tokens served from the provider's cache. */
    public Builder cacheReadTokens(long n) {
      this.cacheReadTokens = n;
      return this;
    }

    /** Prompt tokens written to the provider's cache at its default (5-minute) lifetime. */
    public Builder cacheWriteTokens(long n) {
      this.cacheWriteTokens = n;
      return this;
    }

    /** Prompt tokens written to the provider's cache with a one-hour lifetime. */
    public Builder cacheWrite1hTokens(long n) {
      this.cacheWrite1hTokens = n;
      return this;
    }

    /** Hidden reasoning tokens billed by reasoning models. */
    public Builder reasoningTokens(long n) {
      this.reasoningTokens = n;
      return this;
    }

    /** Generated images, all of one size and quality. */
    public Builder images(long count, String size, String quality) {
      this.images = count;
      this.imageSize = size;
      this.imageQuality = quality;
      return this;
    }

    /** Generated images at the model's default price. */
    public Builder images(long count) {
      return images(count, null, null);
    }

    /** Seconds of generated video, with or without a generated audio track. */
    public Builder videoSeconds(BigDecimal seconds, boolean withAudio) {
      this.videoSeconds = seconds;
      this.videoWithAudio = withAudio;
      return this;
    }

    /** Seconds of generated video, with or without a generated audio track. */
    public Builder videoSeconds(double seconds, boolean withAudio) {
      return videoSeconds(BigDecimal.valueOf(seconds), withAudio);
    }

    /** Characters of text synthesized to speech. */
    public Builder characters(long n) {
      this.characters = n;
      return this;
    }

    /** Seconds of audio transcribed or generated. */
    public Builder audioSeconds(BigDecimal seconds) {
      this.audioSeconds = seconds;
      return this;
    }

    /** Seconds of audio transcribed or generated. */
    public Builder audioSeconds(double seconds) {
      return audioSeconds(BigDecimal.valueOf(seconds));
    }

    /** Audio tokens sent to a chat or realtime model (not included in {@code inputTokens}). */
    public Builder audioInputTokens(long n) {
      this.audioInputTokens = n;
      return this;
    }

    /** Audio tokens a chat or realtime model returned (not included in {@code outputTokens}). */
    public Builder audioOutputTokens(long n) {
      this.audioOutputTokens = n;
      return this;
    }

    /**
     * The provider's service tier the call ran at: {@code batch}, {@code flex} or {@code priority};
     * null or {@code standard} (also {@code default}, {@code auto}) for the standard tier.
     */
    public Builder serviceTier(String tier) {
      this.serviceTier = tier;
      return this;
    }

    /**
     * API requests billed per request: set it for providers that charge a fee per request (such as
     * Perplexity's online models, or a search or rerank API); a request of a model that publishes
     * no such fee leaves the record unpriced.
     */
    public Builder requests(long n) {
      this.requests = n;
      return this;
    }

    /** Searches the model ran with the provider's web-search tool, at the default context size. */
    public Builder webSearches(long n) {
      this.webSearches = n;
      return this;
    }

    /**
     * Searches the model ran with the provider's web-search tool, at search context size {@code
     * low}, {@code medium} or {@code high} (null for the provider's default, {@code medium}).
     */
    public Builder webSearches(long n, String searchContextSize) {
      this.webSearches = n;
      this.searchContextSize = searchContextSize;
      return this;
    }

    /** Validates and creates the record. */
    public Usage build() {
      return new Usage(
          provider,
          model,
          inputTokens,
          outputTokens,
          cacheReadTokens,
          cacheWriteTokens,
          reasoningTokens,
          images,
          imageSize,
          imageQuality,
          videoSeconds,
          videoWithAudio,
          characters,
          audioSeconds,
          cacheWrite1hTokens,
          audioInputTokens,
          audioOutputTokens,
          serviceTier,
          requests,
          webSearches,
          searchContextSize);
    }
  }
}
