package dev.costwise.budget;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.costwise.metrics.CostMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts each alert as JSON to a webhook, off the caller's thread. A failed post (connection error
 * or a non-2xx status) is tried again after {@code backoff}, doubled each time, up to {@code
 * maxAttempts}; an alert that never got through is logged and counted. Each crossing is posted once
 * because {@link Budgets} stores it before sending and sends only new rows.
 */
public final class WebhookAlertSink implements AlertSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookAlertSink.class);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private final URI url;
  private final int maxAttempts;
  private final Duration backoff;
  private final CostMetrics metrics;
  private final HttpClient http;
  private final ScheduledExecutorService scheduler;

  /**
   * A sink posting to {@code url}.
   *
   * @param maxAttempts posts per alert before giving up (at least 1)
   * @param backoff wait before the second post, doubled for each further one
   */
  public WebhookAlertSink(URI url, int maxAttempts, Duration backoff, CostMetrics metrics) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    this.url = url;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
    this.metrics = metrics;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "costwise-webhook");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public void send(BudgetAlert alert) {
    String body;
    try {
      body = JSON.writeValueAsString(alert);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("alert cannot be written as JSON", e);
    }
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    scheduler.execute(() -> post(request, alert, 1));
  }

  private void post(HttpRequest request, BudgetAlert alert, int attempt) {
    String problem;
    try {
      HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() / 100 == 2) {
        return;
      }
      problem = "status " + response.statusCode();
    } catch (java.io.IOException e) {
      problem = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (attempt >= maxAttempts) {
      log.error(
          "Webhook {} did not take alert {} {} after {} attempts: {}",
          url,
          alert.subject(),
          alert.threshold(),
          attempt,
          problem);
      metrics.internalError("webhook");
      return;
    }
    long delay = backoff.toMillis() << (attempt - 1);
    log.warn("Webhook {} failed ({}); retrying in {} ms", url, problem, delay);
    scheduler.schedule(() -> post(request, alert, attempt + 1), delay, TimeUnit.MILLISECONDS);
  }

  /** Stops retrying; alerts not yet delivered are dropped (they stay in the alert table). */
  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
