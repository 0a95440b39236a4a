package dev.costwise.worker.http;

import dev.costwise.budget.BudgetAlert;
import dev.costwise.budget.BudgetUtilisation;
import dev.costwise.report.CostReports;
import java.util.List;

/**
 * Everything the HTTP server needs from the process it serves, and nothing more: where to listen,
 * the API token, the health of Temporal, the database and the cost recorder, the meters, the
 * reports and budget utilisation. The worker passes an implementation to {@link HttpApi#start}.
 */
public interface HttpBackend {
  /** The host or interface address to bind, e.g. {@code 127.0.0.1}. */
  String httpHost();

  /** The port to bind; 0 picks a free one. */
  int httpPort();

  /** The bearer token {@code /api/*} requires, or null when none is set. */
  String apiToken();

  /** The Prometheus scrape of every meter, in the text format. */
  String scrapeMetrics();

  /** Whether Temporal answers now. */
  boolean temporalHealthy();

  /** The Temporal frontend address, for people. */
  String temporalAddress();

  /** The Temporal namespace the worker polls in. */
  String temporalNamespace();

  /** Whether the database answers now. */
  boolean databaseHealthy();

  /** A one-line description of the database, for people (no password). */
  String databaseDescription();

  /** Attempts held in the spool because they could not be written yet. */
  int spooledCount();

  /** Whether the cost recorder last found the database unreachable. */
  boolean recorderDatabaseDown();

  /**
   * Rejected cost records not yet resolved.
   *
   * @throws RuntimeException when the database cannot say
   */
  long unresolvedRejected();

  /** The cost reports, over the same database. */
  CostReports reports();

  /** Every period budget with its utilisation in the current period. */
  List<BudgetUtilisation> budgetUtilisation();

  /** Budget alerts raised so far. */
  List<BudgetAlert> budgetAlerts();
}
