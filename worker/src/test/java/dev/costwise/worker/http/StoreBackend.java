package dev.costwise.worker.http;

import dev.costwise.budget.BudgetAlert;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.budget.Budgets;
import dev.costwise.report.CostReports;
import java.util.List;

/**
 * An HTTP backend for tests: reports over the test database, and the alerts of {@code budgets}
 * (none when null); everything else healthy and empty.
 */
record StoreBackend(CostReports reports, Budgets budgets) implements HttpBackend {
  StoreBackend(CostReports reports) {
    this(reports, null);
  }

  @Override
  public String httpHost() {
    return "127.0.0.1";
  }

  @Override
  public int httpPort() {
    return 0;
  }

  @Override
  public String apiToken() {
    return null;
  }

  @Override
  public String scrapeMetrics() {
    return "";
  }

  @Override
  public boolean temporalHealthy() {
    return true;
  }

  @Override
  public String temporalAddress() {
    return "none";
  }

  @Override
  public String temporalNamespace() {
    return "default";
  }

  @Override
  public boolean databaseHealthy() {
    return true;
  }

  @Override
  public String databaseDescription() {
    return "test database";
  }

  @Override
  public int spooledCount() {
    return 0;
  }

  @Override
  public boolean recorderDatabaseDown() {
    return false;
  }

  @Override
  public long unresolvedRejected() {
    return 0;
  }

  @Override
  public List<BudgetUtilisation> budgetUtilisation() {
    return List.of();
  }

  @Override
  public List<BudgetAlert> budgetAlerts() {
    return budgets == null ? List.of() : budgets.alerts();
  }
}
