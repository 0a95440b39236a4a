package dev.costwise.integration.springai;

import dev.costwise.integration.http.UsageSink;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import java.lang.reflect.Method;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.prompt.ChatOptions;

/**
 * Records every Spring AI chat model call (blocking or streamed) into the Costwise activity attempt
 * that was current on the thread that started the call's observation, from whatever thread the
 * observation stops on. Spring Boot applications get it from {@link
 * CostwiseSpringAiAutoConfiguration}; elsewhere register it with the registry the chat models use:
 *
 * <pre>{@code
 * observationRegistry.observationConfig().observationHandler(new CostwiseChatObservationHandler());
 * }</pre>
 *
 * <p>Only the provider's own usage object of the response ({@code Usage.getNativeUsage()}) is read,
 * so each model call of a tool loop counts with its own usage, never with a running total. The
 * model recorded is the one the response names; the record is keyed by the provider's response id,
 * so the same call seen by a second layer (the openai-java integration under Spring AI, or this
 * handler registered twice) counts once. A call that failed, or whose usage cannot be read, records
 * nothing; the latter is logged once per reason.
 */
public final class CostwiseChatObservationHandler
    implements ObservationHandler<ChatModelObservationContext> {
  private static final Logger log = LoggerFactory.getLogger(CostwiseChatObservationHandler.class);
  private static final Object SINK = CostwiseChatObservationHandler.class;
  private static final int MAX_WARNINGS = 64;
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  /** A handler; one instance serves every chat model. */
  public CostwiseChatObservationHandler() {}

  /** Handles Spring AI chat model observations only. */
  @Override
  public boolean supportsContext(Observation.Context context) {
    return context instanceof ChatModelObservationContext;
  }

  /** Captures the attempt current on the thread that starts the call. */
  @Override
  public void onStart(ChatModelObservationContext context) {
    if (!context.containsKey(SINK)) {
      context.put(SINK, UsageSink.capture());
    }
  }

  /** Records the call's usage, if it returned a response, into the attempt captured at start. */
  @Override
  public void onStop(ChatModelObservationContext context) {
    Object captured = context.get(SINK);
    UsageSink sink = captured instanceof UsageSink s ? s : UsageSink.capture();
    if (!sink.active() || context.getError() != null) {
      return;
    }
    ChatResponse response = context.getResponse();
    ChatResponseMetadata meta = response == null ? null : response.getMetadata();
    if (meta == null) {
      return;
    }
    String springAiProvider = context.getOperationMetadata().provider();
    ChatOptions options = context.getRequest().getOptions();
    String provider =
        SpringAiUsage.provider(
            springAiProvider,
            text(call(options, "getBaseUrl")),
            Boolean.TRUE.equals(call(options, "isMicrosoftFoundry")));
    SpringAiUsage.Reading reading = SpringAiUsage.of(provider, meta, context.isStreaming());
    if (reading.usage() == null) {
      warnOnce(springAiProvider, reading.problem());
      return;
    }
    String id = meta.getId();
    sink.record(reading.usage(), id == null || id.isBlank() ? null : id);
  }

  private static void warnOnce(String provider, String problem) {
    String key = provider + ": " + problem;
    if (WARNED.size() < MAX_WARNINGS && WARNED.add(key)) {
      log.warn(
          "A Spring AI {} chat call's usage is not recorded: {} (logged once)", provider, problem);
    }
  }

  private static String text(Object value) {
    return value instanceof String s && !s.isBlank() ? s : null;
  }

  /** A getter of the provider's options class, which Spring AI's portable options do not name. */
  private static Object call(Object target, String getter) {
    if (target == null) {
      return null;
    }
    try {
      Method m = target.getClass().getMethod(getter);
      return m.getParameterCount() == 0 ? m.invoke(target) : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
