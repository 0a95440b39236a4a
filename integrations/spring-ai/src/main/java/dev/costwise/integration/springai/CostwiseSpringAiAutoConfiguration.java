package dev.costwise.integration.springai;

import io.micrometer.observation.ObservationHandler;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Spring Boot auto-configuration: a {@link CostwiseChatObservationHandler} bean, which Spring
 * Boot's observation auto-configuration registers with the application's {@code
 * ObservationRegistry} (the registry Spring AI's chat models report to). Off with {@code
 * costwise.spring-ai.enabled=false}.
 */
@AutoConfiguration
@ConditionalOnClass({ChatModelObservationContext.class, ObservationHandler.class})
@ConditionalOnProperty(
    prefix = "costwise.spring-ai",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
public class CostwiseSpringAiAutoConfiguration {
  /** Used by Spring. */
  public CostwiseSpringAiAutoConfiguration() {}

  /** The handler recording chat model usage into the current activity attempt. */
  @Bean
  @ConditionalOnMissingBean
  public CostwiseChatObservationHandler costwiseChatObservationHandler() {
    return new CostwiseChatObservationHandler();
  }
}
