package dev.costwise.report;

import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.StepRow;
import java.util.List;

/**
 * One execution's running totals with every line recorded for it, in attempt order.
 *
 * @param steps the run's step lines, ordered by start, activity id, attempt and line
 */
public record ExecutionLines(ExecutionTotals totals, List<StepRow> steps) {}
