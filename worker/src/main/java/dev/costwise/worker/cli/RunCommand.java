package dev.costwise.worker.cli;

import dev.costwise.worker.CostwiseWorker;
import dev.costwise.worker.WorkerConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code costwise run}: starts the worker and serves until stopped (Ctrl-C or SIGTERM). */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Starts the worker and serves until stopped.",
      "With no configuration it also starts an embedded Temporal dev server on 127.0.0.1:7233 and an embedded",
      "PostgreSQL (data in ./costwise-data); with TEMPORAL_ADDRESS / DATABASE_URL it uses those instead.",
      "Serves /metrics, /health, /api and the dashboard on http://127.0.0.1:8088.",
      "Ctrl-C or SIGTERM stops it in order: polling stops, running activity attempts get --stop-grace",
      "seconds to finish (then are interrupted), their costs are written, then Temporal and the database",
      "stop; the process then exits with 0."
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {
      "0:stopped cleanly (Ctrl-C or SIGTERM)",
      "1:a service could not be reached or started",
      "2:bad configuration or option"
    })
public final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin WorkerOptions options;

  @Option(
      names = "--serve-demo",
      description =
          "Also serve the demo content pipeline and its simulated providers (off by default: a"
              + " production worker serves only your workflows and Costwise's CostEstimate).")
  boolean serveDemo;

  @Override
  public Integer call() throws InterruptedException {
    WorkerConfig config = options.config(System.getenv());
    CostwiseWorker worker = CostwiseWorker.start(config, serveDemo);
    var out = spec.commandLine().getOut();
    out.printf(
        "Costwise worker running. Temporal %s (namespace %s), task queue %s; %s.%n",
        worker.temporal().address(),
        config.temporalNamespace(),
        config.taskQueue(),
        worker.databaseDescription());
    if (worker.http() != null) {
      out.printf(
          "HTTP listening on %s. Dashboard %s/  metrics %s/metrics  health %s/health%n",
          worker.http().listenAddress(),
          worker.http().baseUrl(),
          worker.http().baseUrl(),
          worker.http().baseUrl());
    }
    out.println("Press Ctrl-C (or send SIGTERM) to stop.");
    out.flush();
    worker.runUntilStopped();
    return 0;
  }
}
