package dev.costwise.budget;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** Period budgets as defined in PostgreSQL: creates, deletes and lists them. */
public final class BudgetDefinitions {
  private final Jdbi jdbi;

  /** Definitions over {@code jdbi} (the cost store's). */
  public BudgetDefinitions(Jdbi jdbi) {
    this.jdbi = Objects.requireNonNull(jdbi);
  }

  /**
   * Creates a period budget.
   *
   * @throws IllegalArgumentException when a budget of that name exists
   */
  public void create(PeriodBudget budget) {
    try {
      jdbi.useTransaction(
          h -> {
            BudgetDao dao = h.attach(BudgetDao.class);
            BudgetScope s = budget.scope();
            dao.insertBudget(
                new BudgetDao.BudgetRow(
                    budget.name(),
                    budget.period().name(),
                    s.kind().name(),
                    s.key(),
                    s.value(),
                    budget.limitUsd()));
            dao.insertThresholds(
                budget.thresholds().stream()
                    .map(
                        t ->
                            new BudgetDao.ThresholdRow(
                                budget.name(), t.percent(), t.action().name()))
                    .toList());
          });
    } catch (UnableToExecuteStatementException e) {
      if (e.getMessage() != null && e.getMessage().contains("budget_pkey")) {
        throw new IllegalArgumentException(
            "A budget named '" + budget.name() + "' exists; delete it first or choose another name",
            e);
      }
      throw e;
    }
  }

  /** Deletes a budget and its thresholds (its alerts stay); returns whether it existed. */
  public boolean delete(String name) {
    return jdbi.withExtension(BudgetDao.class, dao -> dao.deleteBudget(name)) > 0;
  }

  /** Every period budget, by name. */
  public List<PeriodBudget> list() {
    return jdbi.withExtension(BudgetDao.class, BudgetDefinitions::list);
  }

  static List<PeriodBudget> list(BudgetDao dao) {
    Map<String, List<Threshold>> thresholds = new LinkedHashMap<>();
    for (BudgetDao.ThresholdRow t : dao.thresholds()) {
      thresholds
          .computeIfAbsent(t.budgetName(), k -> new ArrayList<>())
          .add(new Threshold(t.percent(), Threshold.Action.valueOf(t.action())));
    }
    return dao.budgets().stream()
        .map(
            b ->
                new PeriodBudget(
                    b.name(),
                    BudgetPeriod.valueOf(b.period()),
                    new BudgetScope(
                        BudgetScope.Kind.valueOf(b.scopeKind()), b.scopeKey(), b.scopeValue()),
                    b.limitUsd(),
                    thresholds.getOrDefault(b.name(), List.of())))
        .toList();
  }
}
