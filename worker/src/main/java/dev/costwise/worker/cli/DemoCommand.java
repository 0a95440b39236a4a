package dev.costwise.worker.cli;

import dev.costwise.budget.BudgetExceeded;
import dev.costwise.budget.ExecutionLimits;
import dev.costwise.demo.ContentPipelinePlan;
import dev.costwise.demo.ContentPipelineWorkflow;
import dev.costwise.demo.PipelineRequest;
import dev.costwise.estimate.CostEstimateWorkflow;
import dev.costwise.estimate.Estimate;
import dev.costwise.estimate.EstimateRequest;
import dev.costwise.estimate.EstimateSource;
import dev.costwise.report.CostReports;
import dev.costwise.report.ExecutionReport;
import dev.costwise.store.ExecutionTotals;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.usage.UsageCounts;
import dev.costwise.worker.CostwiseWorker;
import dev.costwise.worker.StopSignals;
import dev.costwise.worker.WorkerConfig;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code costwise demo}: starts the worker (embedded services by default), runs the content
 * pipeline several times with simulated providers, and prints for each run the estimate, the actual
 * cost of every step, the variance and the budget outcome, then where to look next.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the demo pipeline and prints estimate, cost per step, variance and budget outcome.",
      "The content pipeline (LLM script, image and video per scene, voice-over) runs three times with",
      "simulated providers (no network). Same configuration as 'run': embedded Temporal and PostgreSQL",
      "unless configured."
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {
      "0:demo ran (with --keep-running: and was then stopped by Ctrl-C or SIGTERM)",
      "1:a service could not be reached or a run failed unexpectedly",
      "2:bad configuration or option",
      "130:stopped by Ctrl-C or SIGTERM before the demo finished (costs recorded so far are kept)"
    })
public final class DemoCommand implements Callable<Integer> {
  /** Exit status when a stop signal ends the demo before it finished. */
  static final int INTERRUPTED = 130;

  /** Tenant tag the demo's runs carry. */
  static final String TENANT = "demo-studio";

  @Spec CommandSpec spec;
  @Mixin WorkerOptions options;

  @Option(
      names = "--keep-running",
      description =
          "Keep Temporal, the worker and the dashboard up after the demo, to explore (Ctrl-C stops).")
  boolean keepRunning;

  /** One demo run, with its run limits (soft, hard) or none. */
  record DemoRun(String label, PipelineRequest request, ExecutionLimits limits) {}

  static final List<DemoRun> RUNS =
      List.of(
          new DemoRun(
              "otters",
              new PipelineRequest(
                  "otters learning to surf", 4, 6, "veo-3.0-fast-generate-001", false, false),
              ExecutionLimits.of("2.50", "5.00")),
          new DemoRun(
              "lighthouse",
              new PipelineRequest(
                  "a lighthouse keeper's last night",
                  3,
                  8,
                  "veo-3.0-fast-generate-001",
                  false,
                  true),
              ExecutionLimits.NONE),
          // a $0.10 cap on a run estimated at $26: each drawing is reserved at $0.12 before it is
          // scheduled, so all eight are refused and nothing past the cap runs
          new DemoRun(
              "spice-trade",
              new PipelineRequest(
                  "the history of the spice trade", 8, 8, "veo-3.0-generate-001", true, false),
              ExecutionLimits.of(null, "0.10")));

  @Override
  public Integer call() throws InterruptedException {
    WorkerConfig config = options.config(System.getenv());
    // The simulated provider outage is expected; its activity-failure stack trace would only
    // distract.
    // So would the SDK's report of the run that fails on its budget, as the demo intends.
    for (String noisy :
        List.of(
            "io.temporal.internal.activity",
            "io.temporal.internal.sync.WorkflowExecutionHandler",
            "io.temporal.internal.worker.WorkflowWorker")) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(noisy))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (CostwiseWorker worker = CostwiseWorker.start(config, true)) {
      // A stop request mid-demo stops the worker in order (costs written, then the database),
      // then ends the process at once: the run under way can no longer finish, and its failure
      // must not be reported as the demo's.
      StopSignals.onStop(
          () -> {
            worker.close();
            out.flush();
            Runtime.getRuntime().halt(INTERRUPTED);
          });
      CostReports reports = new CostReports(worker.store().jdbi());
      out.printf(
          "Costwise demo: Temporal %s (namespace %s), task queue %s; %s%n",
          worker.temporal().address(),
          config.temporalNamespace(),
          config.taskQueue(),
          worker.databaseDescription());
      long earlier = reports.runCount(ContentPipelineWorkflow.TYPE);
      out.printf(
          "%d pipeline runs already recorded in the database%s%n%n",
          earlier, earlier > 0 ? " (costs from earlier starts are kept)" : "");
      out.flush();

      dev.costwise.report.CostReports executionReports =
          new dev.costwise.report.CostReports(worker.store().jdbi());
      BigDecimal grand = BigDecimal.ZERO;
      String firstWorkflowId = null;
      long stamp = System.currentTimeMillis();
      for (int i = 0; i < RUNS.size(); i++) {
        DemoRun run = RUNS.get(i);
        PipelineRequest r = run.request();
        String workflowId = "content-pipeline-" + run.label() + "-" + stamp;
        firstWorkflowId = firstWorkflowId == null ? workflowId : firstWorkflowId;
        out.printf(
            "Run %d/%d  \"%s\": %d scenes x %d s of %s%s%s%n",
            i + 1,
            RUNS.size(),
            r.topic(),
            r.scenes(),
            r.secondsPerScene(),
            r.videoModel(),
            r.videoWithAudio() ? " with audio" : "",
            r.simulateOutage() ? " (the video provider fails once)" : "");
        Estimate estimated =
            worker
                .temporal()
                .client()
                .newWorkflowStub(
                    CostEstimateWorkflow.class,
                    WorkflowOptions.newBuilder()
                        .setTaskQueue(config.taskQueue())
                        .setWorkflowId("estimate-" + workflowId)
                        .build())
                .estimate(
                    EstimateRequest.of(
                            ContentPipelineWorkflow.TYPE, ContentPipelinePlan.plannedCalls(r))
                        .forWorkflowId(workflowId));
        BigDecimal estimate = estimated.expectedUsd();
        out.printf(
            "  estimate  %s (low %s, high %s; %s) from the CostEstimate workflow, saved as %s%n",
            usd(estimate),
            usd(estimated.lowUsd()),
            usd(estimated.highUsd()),
            sources(estimated),
            estimated.estimateId());
        if (estimated.budget() != null) {
          out.printf("            %s%n", estimated.budget().message());
        }

        ContentPipelineWorkflow wf =
            worker
                .temporal()
                .client()
                .newWorkflowStub(
                    ContentPipelineWorkflow.class,
                    WorkflowOptions.newBuilder()
                        .setTaskQueue(config.taskQueue())
                        .setWorkflowId(workflowId)
                        .setMemo(memo(run))
                        .build());
        String outcome;
        BudgetExceeded.Details exceeded = null;
        try {
          wf.produce(r);
          outcome = "completed";
        } catch (WorkflowFailedException e) {
          exceeded = budgetExceeded(e);
          outcome =
              exceeded != null
                  ? "failed with BudgetExceeded (non-retryable): " + rootMessage(e)
                  : "failed: " + rootMessage(e);
        }
        String runId = WorkflowStub.fromTyped(wf).getExecution().getRunId();
        // with write-behind, the run's last attempts reach PostgreSQL a moment after it ended
        worker.recorder().awaitWritten(java.time.Duration.ofSeconds(30));
        List<StepRow> steps = worker.store().steps(runId);
        printSteps(out, steps);
        BigDecimal actual =
            worker.store().execution(runId).map(ExecutionTotals::costUsd).orElse(BigDecimal.ZERO);
        grand = grand.add(actual);
        // the saved estimate was linked to this run: the report reads estimate, actual and variance
        // back
        ExecutionReport linked = executionReports.execution(runId).orElse(null);
        if (linked != null && linked.estimatedUsd() != null) {
          estimate = linked.estimatedUsd();
        }
        BigDecimal variance = actual.subtract(estimate);
        out.printf(
            "  actual    %s   variance %s%s (%s)%n",
            usd(actual),
            variance.signum() >= 0 ? "+" : "-",
            usd(variance.abs()),
            percent(variance, estimate));
        out.printf("  budget    %s%n", budgetLine(run.limits(), actual, exceeded));
        out.printf("  outcome   %s; workflow id %s%n%n", outcome, workflowId);
        out.flush();
      }
      out.printf(
          "Total of this demo: %s over %d runs; %d runs recorded in all.%n%n",
          usd(grand), RUNS.size(), reports.runCount(ContentPipelineWorkflow.TYPE));
      printNext(out, worker, config, firstWorkflowId);
      out.flush();
      if (keepRunning) {
        out.println("Running until Ctrl-C.");
        out.flush();
        worker.runUntilStopped();
      }
    }
    return 0;
  }

  private static Map<String, Object> memo(DemoRun run) {
    Map<String, Object> memo = new java.util.LinkedHashMap<>();
    memo.put(
        CostTrackingOptions.DEFAULT_TAGS_MEMO_KEY,
        Map.of("tenant", TENANT, "project", run.label()));
    Map<String, String> limits = run.limits().toMap();
    if (!limits.isEmpty()) {
      memo.put(CostTrackingOptions.DEFAULT_BUDGET_MEMO_KEY, limits);
    }
    return memo;
  }

  /** The budget failure's details, when the run failed on its budget. */
  static BudgetExceeded.Details budgetExceeded(WorkflowFailedException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure af && BudgetExceeded.TYPE.equals(af.getType())) {
        return af.getDetails().get(BudgetExceeded.Details.class);
      }
    }
    return null;
  }

  static String budgetLine(
      ExecutionLimits limits, BigDecimal actual, BudgetExceeded.Details exceeded) {
    if (limits.softUsd() == null && limits.hardUsd() == null) {
      return "none set for this run";
    }
    String set =
        (limits.softUsd() == null ? "" : "soft " + usd(limits.softUsd()) + ", ")
            + (limits.hardUsd() == null ? "no hard limit" : "hard " + usd(limits.hardUsd()));
    if (exceeded != null && exceeded.refused()) {
      return set
          + ": REFUSED "
          + exceeded.activityType()
          + " before it ran ("
          + usd(exceeded.spentUsd())
          + " spent or reserved, "
          + usd(exceeded.estimateUsd())
          + " expected); nothing that would cross the limit was started";
    }
    if (exceeded != null) {
      return set
          + ": EXCEEDED after "
          + exceeded.activityType()
          + " (spent "
          + usd(exceeded.spentUsd())
          + " at the check); steps already running finished and were billed, no later step started";
    }
    if (limits.softUsd() != null && actual.compareTo(limits.softUsd()) > 0) {
      return set + ": soft limit passed, warning alert stored; run completed";
    }
    return set + ": within limits";
  }

  /** How the estimate's steps were priced, e.g. "3 steps from the plan, 1 from history". */
  private static String sources(Estimate e) {
    Map<String, Long> bySource = new java.util.TreeMap<>();
    e.steps()
        .forEach(
            s ->
                bySource.merge(
                    s.source() == EstimateSource.HISTORY ? "from history" : "from the plan",
                    1L,
                    Long::sum));
    return bySource.entrySet().stream()
        .map(x -> x.getValue() + (x.getValue() == 1 ? " step " : " steps ") + x.getKey())
        .collect(java.util.stream.Collectors.joining(", "));
  }

  private static void printSteps(PrintWriter out, List<StepRow> steps) {
    out.printf(
        "  %-13s %-26s %-8s %-10s %-40s %s%n",
        "step", "model", "attempt", "outcome", "usage", "cost");
    for (StepRow s : steps) {
      out.printf(
          "  %-13s %-26s %-8d %-10s %-40s %s%n",
          s.activityType(),
          s.model(),
          s.attempt(),
          s.outcome(),
          units(s),
          s.priced() ? usd(s.costUsd()) : "unpriced: " + s.unpricedReason());
    }
  }

  static String units(StepRow s) {
    StringBuilder b = new StringBuilder();
    UsageCounts u = s.counts();
    if (u.inputTokens() + u.cacheReadTokens() + u.outputTokens() > 0) {
      b.append(
          String.format(
              Locale.ROOT,
              "%,d in + %,d cached + %,d out tok",
              u.inputTokens(),
              u.cacheReadTokens(),
              u.outputTokens()));
    }
    if (u.images() > 0) {
      b.append(u.images())
          .append(" image ")
          .append(s.imageQuality())
          .append(' ')
          .append(s.imageSize());
    }
    if (u.videoSeconds().signum() > 0) {
      b.append(u.videoSeconds().stripTrailingZeros().toPlainString())
          .append(" s video")
          .append(s.videoWithAudio() ? " + audio" : "");
    }
    if (u.characters() > 0) {
      b.append(String.format(Locale.ROOT, "%,d characters", u.characters()));
    }
    return b.toString();
  }

  private void printNext(
      PrintWriter out, CostwiseWorker worker, WorkerConfig config, String workflowId) {
    String http = worker.http() == null ? null : worker.http().baseUrl();
    String address = worker.temporal().address();
    String ns = config.temporalNamespace();
    out.println("Where to look next:");
    if (!keepRunning) {
      out.println(
          "  (these stop with this process: 'costwise run' serves the dashboard and API over the recorded costs;"
              + (config.embeddedTemporal()
                  ? " 'costwise demo --keep-running' also keeps the runs' Temporal history"
                  : "")
              + ")");
    }
    if (http != null) {
      out.printf("  dashboard   %s/%n", http);
      out.printf("  cost JSON   %s/api/workflows/%s%n", http, workflowId);
      out.printf("  totals      %s/api/totals?period=day&groupBy=model%n", http);
      out.printf("  CSV         %s/api/steps.csv%n", http);
      out.printf(
          "  metrics     %s/metrics   (costwise_cost_usd_total, costwise_tokens_total, ...)%n",
          http);
    }
    out.printf(
        "  temporal workflow describe --address %s --namespace %s --workflow-id %s%n",
        address, ns, workflowId);
    out.printf(
        "  temporal workflow show     --address %s --namespace %s --workflow-id %s%n",
        address, ns, workflowId);
    if (keepRunning) {
      out.printf(
          "  temporal workflow query    --address %s --namespace %s --workflow-id %s --name cost%n",
          address, ns, workflowId);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  static String usd(BigDecimal v) {
    return "$" + v.setScale(4, RoundingMode.HALF_UP).toPlainString();
  }

  private static String percent(BigDecimal variance, BigDecimal estimate) {
    if (estimate.signum() == 0) {
      return "n/a";
    }
    BigDecimal p =
        variance.multiply(BigDecimal.valueOf(100)).divide(estimate, 1, RoundingMode.HALF_UP);
    return (p.signum() >= 0 ? "+" : "") + p.toPlainString() + "%";
  }
}
