package dev.costwise.integration.langchain4j;

import dev.costwise.usage.Usage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.output.TokenUsage;
import java.lang.reflect.Method;

/**
 * A LangChain4j {@link TokenUsage} normalised to Costwise's disjoint token kinds. Provider modules
 * extend {@code TokenUsage}: OpenAI-style usage ({@code inputTokensDetails().cachedTokens()},
 * {@code outputTokensDetails().reasoningTokens()}) counts cached tokens inside the input and
 * reasoning inside the output, so they are taken out; Anthropic-style usage ({@code
 * cacheReadInputTokens()}, {@code cacheCreationInputTokens()}) counts them apart already. The
 * subclasses are read by their accessor names, so this works with whichever provider modules are on
 * the classpath and needs none of them.
 */
final class LangChain4jUsage {
  private static final ClassValue<Accessors> ACCESSORS =
      new ClassValue<>() {
        @Override
        protected Accessors computeValue(Class<?> type) {
          return new Accessors(
              method(type, "inputTokensDetails"),
              method(type, "outputTokensDetails"),
              method(type, "cacheReadInputTokens"),
              method(type, "cacheCreationInputTokens"));
        }
      };

  private LangChain4jUsage() {}

  private record Accessors(
      Method inputDetails, Method outputDetails, Method cacheRead, Method cacheWrite) {}

  /** Costwise's provider name for a LangChain4j model provider. */
  static String provider(ModelProvider provider) {
    if (provider == null) {
      return "";
    }
    return switch (provider.name()) {
      case "OPEN_AI" -> "openai";
      case "AZURE_OPEN_AI" -> "azure";
      case "ANTHROPIC" -> "anthropic";
      case "AMAZON_BEDROCK" -> "bedrock";
      case "GOOGLE_AI_GEMINI", "GOOGLE_GENAI" -> "gemini";
      case "GOOGLE_VERTEX_AI_GEMINI", "GOOGLE_VERTEX_AI_ANTHROPIC" -> "vertex_ai";
      case "MISTRAL_AI" -> "mistral";
      case "OLLAMA" -> "ollama";
      case "COHERE" -> "cohere";
      case "WATSONX" -> "watsonx";
      default -> "";
    };
  }

  /** The record for one call, or null without a model name or token counts. */
  static Usage of(String provider, String model, TokenUsage usage) {
    if (model == null || model.isBlank() || usage == null) {
      return null;
    }
    long input = count(usage.inputTokenCount());
    long output = count(usage.outputTokenCount());
    Accessors a = ACCESSORS.get(usage.getClass());
    long cacheRead;
    long cacheWrite = 0;
    long reasoning = 0;
    if (a.cacheRead() != null) {
      cacheRead = count(call(a.cacheRead(), usage));
      cacheWrite = a.cacheWrite() == null ? 0 : count(call(a.cacheWrite(), usage));
    } else {
      cacheRead = Math.min(input, count(detail(a.inputDetails(), usage, "cachedTokens")));
      input -= cacheRead;
      reasoning = Math.min(output, count(detail(a.outputDetails(), usage, "reasoningTokens")));
      output -= reasoning;
    }
    return Usage.of(provider, model)
        .inputTokens(input)
        .cacheReadTokens(cacheRead)
        .cacheWriteTokens(cacheWrite)
        .outputTokens(output)
        .reasoningTokens(reasoning)
        .build();
  }

  private static Object detail(Method accessor, Object usage, String field) {
    Object details = accessor == null ? null : call(accessor, usage);
    if (details == null) {
      return null;
    }
    Method m = method(details.getClass(), field);
    return m == null ? null : call(m, details);
  }

  private static long count(Object value) {
    return value instanceof Number n ? Math.max(0, n.longValue()) : 0;
  }

  private static Method method(Class<?> type, String name) {
    try {
      Method m = type.getMethod(name);
      return m.getParameterCount() == 0 ? m : null;
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  private static Object call(Method m, Object target) {
    try {
      return m.invoke(target);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
