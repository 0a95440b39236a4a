package dev.costwise.temporal;

import dev.costwise.pricing.Money;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.Outcome;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import io.opentracing.Span;
import io.opentracing.Tracer;
import java.math.BigDecimal;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Puts each attempt's usage and cost on the activity's tracing span, when the Temporal SDK's
 * OpenTracing interceptor ({@code temporal-opentracing}; OpenTelemetry through its OpenTracing
 * shim) wraps Costwise's. Attribute names follow the OpenTelemetry GenAI conventions where they
 * exist ({@value #INPUT_TOKENS}, {@value #OUTPUT_TOKENS}, {@value #CACHE_READ_TOKENS}, {@value
 * #CACHE_CREATION_TOKENS}, {@value #REQUEST_MODEL}, {@value #PROVIDER}); the rest are {@code
 * costwise.*}, the cost in USD as an exact decimal string under {@value #COST_USD}. An attempt that
 * called several models carries the sums and the first model as {@value #REQUEST_MODEL}, all of
 * them in {@value #MODELS}.
 *
 * <pre>{@code
 * CostwisePlugin.newBuilder(dataSource).addAttemptObserver(CostSpans.openTracing(tracer)).build();
 * }</pre>
 *
 * <p>Needs {@code io.opentracing:opentracing-api} on the class path (the SDK's {@code
 * temporal-opentracing} brings it).
 */
public final class CostSpans {
  /** Input tokens (GenAI convention). */
  public static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";

  /** Output tokens (GenAI convention). */
  public static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";

  /** Input tokens read from the provider's cache (GenAI convention). */
  public static final String CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens";

  /** Input tokens written to the provider's cache (GenAI convention). */
  public static final String CACHE_CREATION_TOKENS = "gen_ai.usage.cache_creation.input_tokens";

  /** The model asked for (GenAI convention). */
  public static final String REQUEST_MODEL = "gen_ai.request.model";

  /** The provider (GenAI convention). */
  public static final String PROVIDER = "gen_ai.provider.name";

  /** The attempt's priced cost in USD, an exact decimal string. */
  public static final String COST_USD = "costwise.cost_usd";

  /** Every model the attempt called, comma separated, when more than one. */
  public static final String MODELS = "costwise.models";

  /** Usage records of the attempt that could not be priced (their cost is not in the total). */
  public static final String UNPRICED = "costwise.unpriced_usage_count";

  private CostSpans() {}

  /** An observer tagging {@code tracer}'s active span, the activity span the SDK's opened. */
  public static AttemptObserver openTracing(Tracer tracer) {
    Objects.requireNonNull(tracer, "tracer");
    return (attempt, outcome, lines) -> {
      Span span = tracer.activeSpan();
      if (span != null) {
        tag(span, attempt, outcome, lines);
      }
    };
  }

  static void tag(Span span, AttemptContext attempt, Outcome outcome, List<PricedUsage> lines) {
    long input = 0;
    long output = 0;
    long cacheRead = 0;
    long cacheWrite = 0;
    long reasoning = 0;
    long images = 0;
    long characters = 0;
    BigDecimal video = BigDecimal.ZERO;
    BigDecimal audio = BigDecimal.ZERO;
    BigDecimal cost = BigDecimal.ZERO;
    int unpriced = 0;
    Set<String> models = new LinkedHashSet<>();
    String provider = null;
    for (PricedUsage line : lines) {
      Usage u = line.usage();
      input += u.inputTokens();
      output += u.outputTokens();
      cacheRead += u.cacheReadTokens();
      cacheWrite += u.cacheWriteTokens() + u.cacheWrite1hTokens();
      reasoning += u.reasoningTokens();
      images += u.images();
      characters += u.characters();
      video = video.add(u.videoSeconds());
      audio = audio.add(u.audioSeconds());
      models.add(u.model());
      if (provider == null && !u.provider().isEmpty()) {
        provider = u.provider();
      }
      if (line.cost().priced()) {
        cost = cost.add(line.cost().total());
      } else {
        unpriced++;
      }
    }
    if (!models.isEmpty()) {
      span.setTag(REQUEST_MODEL, models.iterator().next());
    }
    if (models.size() > 1) {
      span.setTag(MODELS, String.join(",", models));
    }
    if (provider != null) {
      span.setTag(PROVIDER, provider);
    }
    span.setTag(INPUT_TOKENS, input);
    span.setTag(OUTPUT_TOKENS, output);
    span.setTag(CACHE_READ_TOKENS, cacheRead);
    span.setTag(CACHE_CREATION_TOKENS, cacheWrite);
    if (reasoning > 0) {
      span.setTag("costwise.usage.reasoning_tokens", reasoning);
    }
    if (images > 0) {
      span.setTag("costwise.usage.images", images);
    }
    if (video.signum() > 0) {
      span.setTag("costwise.usage.video_seconds", Money.plain(video));
    }
    if (characters > 0) {
      span.setTag("costwise.usage.characters", characters);
    }
    if (audio.signum() > 0) {
      span.setTag("costwise.usage.audio_seconds", Money.plain(audio));
    }
    span.setTag(COST_USD, Money.plain(cost));
    span.setTag(UNPRICED, unpriced);
    span.setTag("costwise.outcome", outcome.name());
    span.setTag("costwise.attempt", attempt.attempt());
  }
}
