package dev.costwise.budget;

/** Somewhere alerts go after they are stored, e.g. a {@link WebhookAlertSink}. */
public interface AlertSink {
  /** Delivers one alert; called once per crossing, must not block for long. */
  void send(BudgetAlert alert);
}
