package dev.costwise.integration.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.completions.CompletionUsage;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.UsageScope;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.support.UsageCalculator;

/**
 * The handler on observations shaped like those of a model that folds the previous call's usage
 * into each observation of a tool loop (Spring AI's {@code UsageCalculator}, which models call with
 * the previous response): the running total is never recorded, only per-call native usage.
 */
class CostwiseChatObservationHandlerTest {
  private static ChatResponse response(String id, Usage usage) {
    return new ChatResponse(
        List.of(new Generation(new AssistantMessage("Otters."))),
        ChatResponseMetadata.builder().id(id).model("gpt-4o-2024-08-06").usage(usage).build());
  }

  private static Usage openAi(long prompt, long completion) {
    CompletionUsage u =
        CompletionUsage.builder()
            .promptTokens(prompt)
            .completionTokens(completion)
            .totalTokens(prompt + completion)
            .build();
    return new DefaultUsage((int) prompt, (int) completion, (int) (prompt + completion), u);
  }

  private static void observe(ObservationRegistry registry, ChatResponse response) {
    ChatModelObservationContext context =
        ChatModelObservationContext.builder()
            .prompt(new Prompt("How many otters?"))
            .provider("openai")
            .build();
    Observation observation =
        Observation.createNotStarted("gen_ai.client.operation", () -> context, registry);
    observation.observe(() -> context.setResponse(response));
  }

  @Test
  void aRunningTotalIsNotRecordedPerCallNativeUsageIs() {
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new CostwiseChatObservationHandler());
    UsageScope scope = new UsageScope(Pricer.of(CatalogSource.bundledCatalog()));

    ChatResponse first = response("chatcmpl-u1", openAi(1000, 20));
    Usage total = UsageCalculator.getCumulativeUsage(openAi(1100, 50), first);
    try (CostUsage.Binding ignored = CostUsage.bind(scope)) {
      observe(registry, first);
      observe(registry, response("chatcmpl-u2", total));
    }

    assertThat(total.getPromptTokens()).isEqualTo(2100);
    assertThat(total.getNativeUsage()).isNull();
    assertThat(scope.records()).hasSize(1);
    assertThat(scope.records().get(0).usage().inputTokens()).isEqualTo(1000);
    assertThat(scope.records().get(0).cost().total()).isEqualByComparingTo("0.0027");
  }

  @Test
  void outsideAnAttemptNothingIsRecordedAndNothingFails() {
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new CostwiseChatObservationHandler());
    observe(registry, response("chatcmpl-u3", openAi(10, 5)));
    assertThat(CostUsage.isTracking()).isFalse();
  }
}
