package dev.costwise.worker;

import dev.costwise.budget.BudgetAlert;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.report.CostReports;
import dev.costwise.worker.http.HttpBackend;
import dev.costwise.worker.http.HttpStartException;
import java.util.List;

/** The running worker as its HTTP server sees it: an adapter from {@link CostwiseWorker}. */
public final class WorkerHttpBackend implements HttpBackend {
  private final WorkerConfig config;
  private final CostwiseWorker worker;
  private final CostReports reports;

  /** Serves {@code worker}'s data on the host, port and token of {@code config}. */
  public WorkerHttpBackend(WorkerConfig config, CostwiseWorker worker) {
    this.config = config;
    this.worker = worker;
    this.reports = new CostReports(worker.store().jdbi());
  }

  /**
   * The worker's startup error for an HTTP server that could not start: its message, and which
   * setting to change for it.
   */
  public static StartupException startupError(HttpStartException e) {
    String hint =
        switch (e.problem()) {
          case UNKNOWN_HOST ->
              "; use an interface address such as 127.0.0.1 or 0.0.0.0 with --http-host / "
                  + WorkerConfig.Env.HTTP_HOST;
          case PORT_IN_USE ->
              "; choose another with --http-port / "
                  + WorkerConfig.Env.HTTP_PORT
                  + " (0 picks a free one, -1 turns HTTP off)";
          case OTHER -> "";
        };
    return new StartupException(e.getMessage() + hint, e);
  }

  @Override
  public String httpHost() {
    return config.httpHost();
  }

  @Override
  public int httpPort() {
    return config.httpPort();
  }

  @Override
  public String apiToken() {
    return config.apiToken();
  }

  @Override
  public String scrapeMetrics() {
    return worker.registry().scrape();
  }

  @Override
  public boolean temporalHealthy() {
    return worker.temporal().healthy();
  }

  @Override
  public String temporalAddress() {
    return worker.temporal().address();
  }

  @Override
  public String temporalNamespace() {
    return worker.temporal().namespace();
  }

  @Override
  public boolean databaseHealthy() {
    return Database.healthy(worker.dataSource());
  }

  @Override
  public String databaseDescription() {
    return worker.databaseDescription();
  }

  @Override
  public int spooledCount() {
    return worker.recorder().spooledCount();
  }

  @Override
  public boolean recorderDatabaseDown() {
    return worker.recorder().databaseDown();
  }

  @Override
  public long unresolvedRejected() {
    return worker.store().unresolvedRejected();
  }

  @Override
  public CostReports reports() {
    return reports;
  }

  @Override
  public List<BudgetUtilisation> budgetUtilisation() {
    return worker.budgets().utilisation();
  }

  @Override
  public List<BudgetAlert> budgetAlerts() {
    return worker.budgets().alerts();
  }
}
