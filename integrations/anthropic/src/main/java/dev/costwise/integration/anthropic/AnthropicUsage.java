package dev.costwise.integration.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.integration.http.Json;
import dev.costwise.integration.http.ProviderByHost;
import dev.costwise.usage.Usage;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Anthropic's usage object normalised to Costwise's disjoint token kinds. Anthropic's {@code
 * input_tokens} already excludes cache reads and cache writes, which it reports apart; cache writes
 * are split by lifetime in {@code cache_creation} ({@code ephemeral_5m_input_tokens}, {@code
 * ephemeral_1h_input_tokens}); {@code service_tier} is kept as the usage's service tier.
 * Extended-thinking tokens are inside {@code output_tokens} and billed at the output rate, so they
 * stay there. Public for the integrations of frameworks that hand over Anthropic's own usage object
 * (Spring AI).
 */
public final class AnthropicUsage {
  private static final String UNKNOWN_HOST = "";
  private static final ProviderByHost PROVIDERS =
      new ProviderByHost(UNKNOWN_HOST, AnthropicUsage::providerOfHost);
  private static final Pattern BEDROCK_MODEL =
      Pattern.compile(
          "^(?:[a-z]{2,6}(?:-[a-z]{2,4})?\\.)?anthropic\\.claude.*|^arn:aws[a-z-]*:bedrock:.*");
  private static final Pattern VERTEX_MODEL = Pattern.compile("^claude[a-z0-9.-]*@[a-z0-9]+$");

  private AnthropicUsage() {}

  /**
   * {@code bedrock}, {@code vertex_ai} or {@code anthropic}, from the endpoint's host; {@code
   * anthropic} when the host names none of them.
   */
  public static String provider(String baseUrl) {
    String byHost = providerOfEndpoint(baseUrl);
    return byHost == null ? "anthropic" : byHost;
  }

  /**
   * The provider the endpoint's host names, or null when it names none: a gateway, a private
   * endpoint or a local server in front of any of them.
   */
  static String providerOfEndpoint(String baseUrl) {
    String found = PROVIDERS.of(baseUrl);
    return found.isEmpty() ? null : found;
  }

  private static String providerOfHost(String host) {
    if (host.equals("api.anthropic.com")) {
      return "anthropic";
    }
    if (host.endsWith(".amazonaws.com")
        && (host.startsWith("bedrock-runtime") || host.contains(".bedrock-runtime"))) {
      return "bedrock";
    }
    if (host.endsWith(".googleapis.com")
        && (host.startsWith("aiplatform.") || host.contains("-aiplatform."))) {
      return "vertex_ai";
    }
    return UNKNOWN_HOST;
  }

  /**
   * The provider whose own model ids look like {@code model}: Bedrock's ({@code
   * anthropic.claude-…-v1:0}, with a cross-region prefix such as {@code us.} or {@code global.}, or
   * an ARN) and Vertex AI's ({@code claude-…@20250929}, {@code claude-…@default}); null for any
   * other name.
   */
  static String providerOfModel(String model) {
    if (model == null) {
      return null;
    }
    String name = model.strip().toLowerCase(Locale.ROOT);
    if (BEDROCK_MODEL.matcher(name).matches()) {
      return "bedrock";
    }
    return VERTEX_MODEL.matcher(name).matches() ? "vertex_ai" : null;
  }

  /** The provider that gives message ids this prefix ({@code msg_bdrk_}, {@code msg_vrtx_}). */
  static String providerOfMessageId(String id) {
    if (id == null) {
      return null;
    }
    if (id.startsWith("msg_bdrk_")) {
      return "bedrock";
    }
    return id.startsWith("msg_vrtx_") ? "vertex_ai" : null;
  }

  /**
   * The provider and the model to price one message as. The host decides when it names a provider;
   * otherwise the shape of the requested model, then the message id's prefix, else Anthropic. On
   * Bedrock and Vertex the model is the one requested (the id the cloud bills, e.g. a cross-region
   * profile, which the answer replaces by Anthropic's own name); elsewhere, or for a Bedrock ARN,
   * the one the answer names.
   *
   * @param byEndpoint the provider named by the endpoint, or null
   * @param requested the model of the request, or null when unknown
   * @param messageId the answer's message id, or null
   * @param answered the model the answer names, or null
   */
  static Billing billing(String byEndpoint, String requested, String messageId, String answered) {
    String byModel = providerOfModel(requested);
    String provider = byEndpoint;
    if (provider == null) {
      provider = byModel != null ? byModel : providerOfMessageId(messageId);
    }
    if (provider == null) {
      provider = "anthropic";
    }
    boolean cloud = !provider.equals("anthropic");
    boolean cloudsOwnId = byModel != null ? byModel.equals(provider) : byEndpoint != null;
    boolean arn = requested != null && requested.startsWith("arn:");
    String model = cloud && cloudsOwnId && !arn ? requested : answered;
    return new Billing(provider, model == null ? requested : model);
  }

  /** Who bills a message and under which model name. */
  record Billing(String provider, String model) {}

  /** The record for one message's usage; null when there is no model or no usage. */
  public static Usage of(String provider, String model, JsonNode usage) {
    if (model == null || usage == null || !usage.isObject()) {
      return null;
    }
    long writes = Json.count(usage, "cache_creation_input_tokens");
    long writes5m = writes;
    long writes1h = 0;
    JsonNode byTtl = usage.get("cache_creation");
    if (byTtl != null && byTtl.isObject()) {
      writes1h = Json.count(byTtl, "ephemeral_1h_input_tokens");
      long fiveMinutes = Json.count(byTtl, "ephemeral_5m_input_tokens");
      // the total is authoritative; what the split does not name is a default (5-minute) write
      writes5m = Math.max(fiveMinutes, Math.max(0, writes - writes1h));
      if (writes == 0) {
        writes5m = fiveMinutes;
      }
    }
    return Usage.of(provider, model)
        .inputTokens(Json.count(usage, "input_tokens"))
        .cacheReadTokens(Json.count(usage, "cache_read_input_tokens"))
        .cacheWriteTokens(writes5m)
        .cacheWrite1hTokens(writes1h)
        .outputTokens(Json.count(usage, "output_tokens"))
        .serviceTier(tier(Json.text(usage, "service_tier")))
        .webSearches(Json.count(usage.get("server_tool_use"), "web_search_requests"))
        .build();
  }

  /**
   * The usage's {@code service_tier} ({@code standard}, {@code priority}, {@code batch}), if sane.
   */
  private static String tier(String t) {
    return t == null || !t.strip().matches("[A-Za-z0-9_-]{1,32}") ? null : t.strip();
  }

  /**
   * Folds a streamed {@code message_delta} usage into the one from {@code message_start}: the
   * delta's figures are cumulative, so each one present replaces the earlier value.
   */
  static void merge(ObjectNode into, JsonNode delta) {
    if (delta == null || !delta.isObject()) {
      return;
    }
    delta
        .fields()
        .forEachRemaining(
            e -> {
              if (!e.getValue().isNull()) {
                into.set(e.getKey(), e.getValue());
              }
            });
  }
}
