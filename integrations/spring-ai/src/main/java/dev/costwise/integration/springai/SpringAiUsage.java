package dev.costwise.integration.springai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.integration.anthropic.AnthropicUsage;
import dev.costwise.integration.openai.OpenAiUsage;
import dev.costwise.usage.Usage;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;

/**
 * One Spring AI chat response's usage normalised to Costwise's disjoint token kinds. Only the
 * provider's own usage object ({@code Usage.getNativeUsage()}) is read: it belongs to exactly one
 * model call, whereas Spring AI's portable counts may be a sum over several calls (its usage
 * calculator drops the native object when it adds usages up). The native object is turned into the
 * provider's JSON usage and mapped as the openai-java and anthropic-java integrations map it.
 */
final class SpringAiUsage {
  private static final ObjectMapper PLAIN = new ObjectMapper();

  /** The SDK's own JSON mapper for a native usage class, or the plain one. */
  private static final ClassValue<ObjectMapper> MAPPERS =
      new ClassValue<>() {
        @Override
        protected ObjectMapper computeValue(Class<?> type) {
          return sdkMapper(type);
        }
      };

  private SpringAiUsage() {}

  /** How a response's usage was read; {@link #usage} is null when nothing can be recorded. */
  record Reading(Usage usage, String problem) {}

  /**
   * Costwise's provider for a Spring AI provider name ({@code AiProvider} values) and the base URL
   * the model's options name (null when none).
   */
  static String provider(String springAiProvider, String baseUrl, boolean microsoftFoundry) {
    String p = springAiProvider == null ? "" : springAiProvider.toLowerCase(Locale.ROOT);
    return switch (p) {
      case "openai" -> microsoftFoundry ? "azure" : OpenAiUsage.provider(baseUrl);
      case "anthropic" -> AnthropicUsage.provider(baseUrl);
      case "bedrock_converse" -> "bedrock";
      case "google_genai" -> "gemini";
      case "vertex_ai" -> "vertex_ai";
      case "mistral_ai" -> "mistral";
      default -> p;
    };
  }

  /**
   * The record for one response: the model it names, the provider's usage object mapped by its
   * provider's billing semantics.
   */
  static Reading of(String provider, ChatResponseMetadata meta, boolean streaming) {
    String model = meta.getModel();
    if (model == null || model.isBlank()) {
      return new Reading(null, "the response names no model");
    }
    org.springframework.ai.chat.metadata.Usage usage = meta.getUsage();
    Object nativeUsage = usage == null ? null : usage.getNativeUsage();
    if (nativeUsage == null) {
      return new Reading(
          null,
          "the response carries no provider usage object (Spring AI drops it when it adds up the"
              + " usage of several calls)");
    }
    if (nativeUsage instanceof Map<?, ?> map && map.containsKey("promptTokens")) {
      return streamed(provider, model, usage, streaming);
    }
    JsonNode json;
    try {
      json = MAPPERS.get(nativeUsage.getClass()).valueToTree(nativeUsage);
    } catch (RuntimeException e) {
      return new Reading(null, "its usage object " + nativeUsage.getClass().getName() + ": " + e);
    }
    if (json == null || !json.isObject()) {
      return new Reading(null, "its usage object is not a JSON object");
    }
    if (json.has("cache_read_input_tokens")
        || json.has("cache_creation_input_tokens")
        || ("anthropic".equals(provider) && json.has("input_tokens"))) {
      return new Reading(AnthropicUsage.of(provider, model, json), null);
    }
    if (json.has("prompt_tokens") || json.has("input_tokens_details")) {
      return new Reading(OpenAiUsage.tokens(provider, model, json), null);
    }
    return new Reading(
        null, "its usage object " + nativeUsage.getClass().getName() + " is of no known shape");
  }

  /**
   * A streamed response as Spring AI's message aggregator hands it over: the last prompt and
   * completion counts, the provider's object and its cache and reasoning figures gone. For
   * OpenAI-style providers the prompt count includes cached tokens and the completion count
   * reasoning tokens, so recording them as input and output is exact for everything but cache
   * reads, which are priced at the input rate (an upper bound). Other providers report cache tokens
   * apart from the prompt count; without them the record would be short, so none is made.
   */
  private static Reading streamed(
      String provider,
      String model,
      org.springframework.ai.chat.metadata.Usage usage,
      boolean streaming) {
    if (!streaming) {
      return new Reading(null, "its usage is an aggregate of counts, not the provider's object");
    }
    if (!("openai".equals(provider) || "azure".equals(provider))) {
      return new Reading(
          null, "a streamed " + provider + " response's aggregated usage lacks its cache tokens");
    }
    long prompt = count(usage.getPromptTokens());
    long completion = count(usage.getCompletionTokens());
    if (prompt == 0 && completion == 0) {
      return new Reading(null, "the stream reported no usage");
    }
    return new Reading(
        Usage.of(provider, model).inputTokens(prompt).outputTokens(completion).build(), null);
  }

  private static long count(Integer value) {
    return value == null ? 0 : Math.max(0, value.longValue());
  }

  /**
   * openai-java and anthropic-java model objects serialise to their API's JSON through the SDK's
   * own mapper ({@code <sdk>.core.ObjectMappers.jsonMapper()}); other objects through a plain one.
   */
  private static ObjectMapper sdkMapper(Class<?> type) {
    String name = type.getName();
    String root =
        name.startsWith("com.openai.")
            ? "com.openai"
            : name.startsWith("com.anthropic.") ? "com.anthropic" : null;
    if (root == null) {
      return PLAIN;
    }
    try {
      Class<?> mappers = Class.forName(root + ".core.ObjectMappers", true, type.getClassLoader());
      Method jsonMapper = mappers.getMethod("jsonMapper");
      Object mapper = jsonMapper.invoke(null);
      return mapper instanceof ObjectMapper m ? m : PLAIN;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return PLAIN;
    }
  }
}
