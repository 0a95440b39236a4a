package dev.costwise.budget;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.Money;
import java.util.List;
import java.util.Objects;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises budget alerts: each threshold crossing once (a row in {@code budget_alert} is the
 * cooldown), with a metric, a log line and every {@link AlertSink}.
 */
public final class BudgetAlerts {
  private static final Logger log = LoggerFactory.getLogger(BudgetAlerts.class);

  private final Jdbi jdbi;
  private final CostMetrics metrics;
  private final List<AlertSink> sinks;

  /** Alerts stored over {@code jdbi}, counted in {@code metrics}, sent to {@code sinks}. */
  public BudgetAlerts(Jdbi jdbi, CostMetrics metrics, List<AlertSink> sinks) {
    this.jdbi = Objects.requireNonNull(jdbi);
    this.metrics = Objects.requireNonNull(metrics);
    this.sinks = List.copyOf(sinks);
  }

  /** Every alert stored, oldest first. */
  public List<BudgetAlert> alerts() {
    return jdbi.withExtension(BudgetDao.class, BudgetDao::alerts);
  }

  /** Stores {@code alert} unless already raised, then logs, counts and sends it. */
  void raise(BudgetDao dao, BudgetAlert alert) {
    if (dao.insertAlert(alert) == 0) {
      return;
    }
    if (alert.refusal()) {
      log.warn(
          "Budget alert: {} refused {} expected at ${} ({}): ${} spent or reserved of ${} (workflow"
              + " {})",
          alert.subject(),
          alert.activityType(),
          Money.plain(alert.expectedUsd()),
          alert.threshold(),
          Money.plain(alert.spentUsd()),
          Money.plain(alert.limitUsd()),
          alert.workflowId());
    } else {
      log.warn(
          "Budget alert: {} reached {} ({}): spent ${} of ${} (run {}, workflow {})",
          alert.subject(),
          alert.threshold(),
          alert.action(),
          Money.plain(alert.spentUsd()),
          Money.plain(alert.limitUsd()),
          alert.runId(),
          alert.workflowId());
    }
    metrics.budgetAlert(
        alert.subject().startsWith("run:") ? "run" : "period", alert.level().name());
    for (AlertSink sink : sinks) {
      try {
        sink.send(alert);
      } catch (RuntimeException e) {
        log.error("Alert sink {} failed: {}", sink.getClass().getName(), e.toString());
        metrics.internalError("alert-sink");
      }
    }
  }
}
