package dev.costwise.integration.springai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.testing.FakeProvider;
import dev.costwise.testing.FakeProvider.Reply;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.UsageScope;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configuration, found through its imports file like Spring Boot finds it, with Spring
 * Boot's observation auto-configuration: the handler is a bean and the application's {@link
 * ObservationRegistry} hands it the calls of a real Spring AI chat model reporting to that
 * registry.
 */
class CostwiseSpringAiAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  ObservationAutoConfiguration.class, CostwiseSpringAiAutoConfiguration.class));

  @Test
  void theImportsFileNamesTheAutoConfiguration() throws Exception {
    try (var in =
        getClass()
            .getResourceAsStream(
                "/META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports")) {
      assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip())
          .isEqualTo(CostwiseSpringAiAutoConfiguration.class.getName());
    }
  }

  @Test
  void theHandlerIsRegisteredWithTheObservationRegistry() {
    runner.run(
        context -> {
          assertThat(context).hasSingleBean(CostwiseChatObservationHandler.class);
          ObservationRegistry registry = context.getBean(ObservationRegistry.class);
          try (FakeProvider provider = new FakeProvider()) {
            provider.on(
                "/v1/chat/completions",
                Reply.json(
                    """
                    {"id": "chatcmpl-ac1", "object": "chat.completion", "created": 1741569952,
                     "model": "gpt-4o-2024-08-06",
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": "Otters."},
                                  "logprobs": null, "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}}
                    """));
            OpenAiChatModel model =
                OpenAiChatModel.builder()
                    .options(
                        OpenAiChatOptions.builder()
                            .baseUrl(provider.baseUrl() + "/v1")
                            .apiKey("sk-test")
                            .model("gpt-4o")
                            .maxRetries(0)
                            .build())
                    .observationRegistry(registry)
                    .build();
            UsageScope scope = new UsageScope(Pricer.of(CatalogSource.bundledCatalog()));
            try (CostUsage.Binding ignored = CostUsage.bind(scope)) {
              model.call("Write about otters");
            }
            List<PricedUsage> records = scope.records();
            assertThat(records).hasSize(1);
            assertThat(records.get(0).usage().model()).isEqualTo("gpt-4o-2024-08-06");
            assertThat(records.get(0).cost().total()).isEqualByComparingTo("0.006");
          }
        });
  }

  @Test
  void anApplicationsOwnHandlerIsKept() {
    runner
        .withUserConfiguration(OwnHandler.class)
        .run(
            context ->
                assertThat(context.getBean(CostwiseChatObservationHandler.class))
                    .isSameAs(context.getBean(OwnHandler.class).handler));
  }

  @Test
  void itCanBeSwitchedOff() {
    runner
        .withPropertyValues("costwise.spring-ai.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(CostwiseChatObservationHandler.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnHandler {
    final CostwiseChatObservationHandler handler = new CostwiseChatObservationHandler();

    @Bean
    CostwiseChatObservationHandler myHandler() {
      return handler;
    }
  }
}
