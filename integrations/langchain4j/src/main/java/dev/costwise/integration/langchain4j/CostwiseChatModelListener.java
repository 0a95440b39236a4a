package dev.costwise.integration.langchain4j;

import dev.costwise.integration.http.UsageSink;
import dev.costwise.usage.Usage;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;

/**
 * Records every call of a LangChain4j chat model (any provider, blocking or streaming) into the
 * Costwise activity attempt current on the thread that made the request, from whatever thread the
 * response completes on.
 *
 * <pre>{@code
 * ChatModel model = OpenAiChatModel.builder()
 *     .apiKey(key).modelName("gpt-4o")
 *     .listeners(List.of(new CostwiseChatModelListener()))
 *     .build();
 * }</pre>
 *
 * <p>The model recorded is the one the response metadata names (else the requested one); the record
 * is keyed by the response id, so when the model's transport is also recorded by a Costwise SDK
 * integration (or the listener is registered twice) the call is counted once. A failed call reports
 * no usage and records nothing.
 */
public final class CostwiseChatModelListener implements ChatModelListener {
  private static final Object SINK = CostwiseChatModelListener.class;

  /** A listener; one instance may serve every model. */
  public CostwiseChatModelListener() {}

  @Override
  public void onRequest(ChatModelRequestContext context) {
    context.attributes().putIfAbsent(SINK, UsageSink.capture());
  }

  @Override
  public void onResponse(ChatModelResponseContext context) {
    Object captured = context.attributes().get(SINK);
    UsageSink sink = captured instanceof UsageSink s ? s : UsageSink.capture();
    if (!sink.active()) {
      return;
    }
    ChatResponse response = context.chatResponse();
    if (response == null || response.metadata() == null) {
      return;
    }
    ChatResponseMetadata meta = response.metadata();
    String model = meta.modelName();
    if ((model == null || model.isBlank()) && context.chatRequest() != null) {
      model = context.chatRequest().modelName();
    }
    Usage usage =
        LangChain4jUsage.of(
            LangChain4jUsage.provider(context.modelProvider()), model, meta.tokenUsage());
    sink.record(usage, meta.id());
  }
}
