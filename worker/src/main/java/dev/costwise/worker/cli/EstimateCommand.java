package dev.costwise.worker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.estimate.BudgetFit;
import dev.costwise.estimate.CostEstimator;
import dev.costwise.estimate.Estimate;
import dev.costwise.estimate.EstimateOptions;
import dev.costwise.estimate.EstimateRequest;
import dev.costwise.estimate.EstimateStore;
import dev.costwise.estimate.PlannedCall;
import dev.costwise.estimate.StepEstimate;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jdbi.v3.core.Jdbi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code costwise estimate}: what a run of a workflow type will cost, from a plan and recorded
 * history, computed here against the database (the same computation as the CostEstimate workflow).
 */
@Command(
    name = "estimate",
    mixinStandardHelpOptions = true,
    description = {
      "Estimates one run of a workflow type (low, expected, high per step and per model) and saves the",
      "estimate, linked to --run-id or to the next run of --workflow-id, for 'costwise report execution'.",
      "Example: costwise estimate --workflow-type ContentPipeline --plan plan.json --workflow-id order-42"
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {
      "0:estimated",
      "1:database unreachable",
      "2:bad plan, option or price file, or nothing to estimate from"
    })
public final class EstimateCommand implements Callable<Integer> {
  private static final ObjectMapper READER = new ObjectMapper();

  @Spec CommandSpec spec;
  @Mixin DatabaseOptions database;
  @Mixin PricingOptions pricing;

  @Option(
      names = "--workflow-type",
      description = "Workflow type to estimate (or give it in --plan's request object).")
  String workflowType;

  @Option(
      names = "--plan",
      paramLabel = "FILE",
      description =
          "JSON: an array of planned calls, or a whole request object as given to the CostEstimate workflow.")
  Path plan;

  @Option(
      names = "--workflow-id",
      description = "Link the estimate to the next run of this workflow id.")
  String workflowId;

  @Option(names = "--run-id", description = "Link the estimate to this run.")
  String runId;

  @Option(
      names = "--min-samples",
      description = "Recorded attempts needed to use history (default: 5).")
  Integer minSamples;

  @Option(names = "--history-days", description = "How far back history is read (default: 90).")
  Integer historyDays;

  @Option(names = "--no-save", description = "Print the estimate without saving it.")
  boolean noSave;

  @Option(
      names = "--format",
      defaultValue = "table",
      converter = ReportCommand.FormatConverter.class,
      description = "table, csv or json (default: table).")
  OutputFormat format;

  @Override
  public Integer call() throws IOException {
    EstimateRequest request = request();
    Estimate estimate;
    try (HikariDataSource ds = database.open()) {
      CostSchema.migrate(ds);
      Jdbi jdbi = CostStore.jdbi(ds);
      CostEstimator estimator =
          new CostEstimator(
              jdbi,
              new Pricer(pricing.catalog(), false),
              EstimateOptions.DEFAULTS,
              Map.of(),
              Clock.systemUTC());
      estimate = estimator.estimate(request);
      estimate = BudgetFit.NONE.verdict(estimate).map(estimate::withBudget).orElse(estimate);
      if (!noSave) {
        estimate = new EstimateStore(jdbi).save(estimate);
      }
    }
    print(spec.commandLine().getOut(), estimate);
    return 0;
  }

  private EstimateRequest request() throws IOException {
    EstimateRequest fromFile = null;
    List<PlannedCall> calls = List.of();
    if (plan != null) {
      JsonNode node;
      try {
        node = READER.readTree(Files.readString(plan));
      } catch (IOException e) {
        throw new IllegalArgumentException("Cannot read plan " + plan + ": " + e.getMessage(), e);
      }
      try {
        if (node.isArray()) {
          calls = Arrays.asList(READER.treeToValue(node, PlannedCall[].class));
        } else {
          fromFile = READER.treeToValue(node, EstimateRequest.class);
        }
      } catch (IOException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        throw new IllegalArgumentException(
            "Plan " + plan + " is not a valid plan: " + cause.getMessage(), e);
      }
    }
    String type =
        workflowType != null ? workflowType : fromFile != null ? fromFile.workflowType() : null;
    if (type == null) {
      throw new IllegalArgumentException(
          "Give --workflow-type, or a request object with workflowType in --plan");
    }
    return new EstimateRequest(
        type,
        workflowId != null ? workflowId : fromFile != null ? fromFile.workflowId() : null,
        runId != null ? runId : fromFile != null ? fromFile.runId() : null,
        fromFile != null ? fromFile.plan() : calls,
        minSamples != null ? minSamples : fromFile != null ? fromFile.minSamples() : null,
        historyDays != null ? historyDays : fromFile != null ? fromFile.historyDays() : null);
  }

  private void print(PrintWriter out, Estimate e) {
    List<String> header =
        List.of(
            "activity_type",
            "provider",
            "model",
            "source",
            "calls",
            "samples",
            "low_usd",
            "expected_usd",
            "high_usd",
            "note");
    List<List<String>> rows = new ArrayList<>();
    for (StepEstimate s : e.steps()) {
      rows.add(
          List.of(
              s.activityType(),
              s.provider(),
              s.model(),
              s.source().name(),
              OutputFormat.plain(s.calls()),
              Long.toString(s.samples()),
              OutputFormat.plain(s.lowUsd()),
              OutputFormat.plain(s.expectedUsd()),
              OutputFormat.plain(s.highUsd()),
              s.note() == null ? "" : s.note()));
    }
    if (format == OutputFormat.TABLE) {
      out.printf(
          "workflow   %s%s%n",
          e.workflowType(),
          e.runId() != null
              ? " (run " + e.runId() + ")"
              : e.workflowId() != null ? " (next run of " + e.workflowId() + ")" : "");
      out.printf(
          "expected   $%s (low $%s, high $%s)%n",
          OutputFormat.plain(e.expectedUsd()),
          OutputFormat.plain(e.lowUsd()),
          OutputFormat.plain(e.highUsd()));
      out.printf("estimate   %s%n", e.estimateId() == null ? "(not saved)" : e.estimateId());
      out.printf("rule       %s%n", e.rule());
      e.byModel()
          .forEach(
              m ->
                  out.printf(
                      "model      %s: $%s (low $%s, high $%s)%n",
                      m.model(),
                      OutputFormat.plain(m.expectedUsd()),
                      OutputFormat.plain(m.lowUsd()),
                      OutputFormat.plain(m.highUsd())));
      e.notes().forEach(n -> out.printf("note       %s%n", n));
      if (e.budget() != null) {
        out.printf("budget     %s: %s%n", e.budget().budget(), e.budget().message());
      }
      out.println();
    }
    format.print(out, header, rows, e);
  }
}
