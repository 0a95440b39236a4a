package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.temporal.internal.BudgetGuard;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptor;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowClientInterceptorBase;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@value BudgetGuard#SETTLE_SIGNAL} signal an attempt past its grant sends its run, when it
 * cannot be sent (the worker's client fails it) and when the run continued as new while the attempt
 * ran; and what a continued run carries of the activities it left running. Every draw is reserved
 * at $0.10 and costs $0.48.
 */
class SettleSignalTest {
  private static final String QUEUE = "settle-signal-failure";

  private TestWorkflowEnvironment env;
  private SimpleMeterRegistry registry;
  private CostStore store;
  private BudgetedPipeline.StudioImpl studio;
  private WorkflowClient client;
  private final AtomicInteger refusedSignals = new AtomicInteger();
  private final AtomicInteger sentSignals = new AtomicInteger();
  private volatile boolean failSignals = true;

  @BeforeEach
  void start() {
    Jdbi jdbi = CostStore.jdbi(TestDatabase.fresh());
    store = new CostStore(jdbi);
    registry = new SimpleMeterRegistry();
    CostMetrics metrics = CostMetrics.boundTo(registry);
    Budgets budgets = new Budgets(jdbi, metrics, List.of(), Clock.systemUTC());
    // declared well below the real cost: each draw reserves $0.10 and costs $0.48
    budgets.expect("Draw", new BigDecimal("0.10"));
    PriceCatalog catalog = CatalogSource.bundledCatalog();
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(new Pricer(() -> catalog, false))
                .setRecorder(store)
                .setMetrics(metrics)
                .setBudgets(budgets)
                .build());
    env = TrackedTestEnvironment.create(tracking, new FailingSettleSignals());
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(
        BudgetedPipeline.UnderestimatedStoryboardsImpl.class,
        BudgetedPipeline.ContinuingStoryboardsImpl.class);
    studio = new BudgetedPipeline.StudioImpl();
    worker.registerActivitiesImplementations(studio, budgets.checkActivity());
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  @Test
  void aSignalThatCannotBeSentLeavesTheActivityAtItsReservationUntilTheRunSettles() {
    var wf =
        client.newWorkflowStub(
            BudgetedPipeline.UnderestimatedStoryboards.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowId("unsignalled")
                .setMemo(Map.of("costwise.budget", Map.of("hardUsd", "1.00")))
                .setWorkflowRunTimeout(Duration.ofMinutes(1))
                .build());

    Throwable t = catchThrowable(() -> wf.run(5));

    // every draw cost more than its grant and tried to tell its run; none could
    assertThat(refusedSignals.get()).isEqualTo(5);
    Counter errors =
        registry.find("costwise.internal.errors").tag("where", "settle-signal").counter();
    assertThat(errors).as("each failed signal is counted").isNotNull();
    assertThat(errors.count()).isEqualTo(5.0);
    assertThat(settleSignals(client.fetchHistory("unsignalled"))).isZero();
    // the degraded path: held at $0.10 each, the run started all five draws, where with its
    // signals it would have refused the third before it ran ($0.96 + $0.10 > $1.00 on real cost)
    assertThat(studio.calls("unsignalled")).isEqualTo(5);
    // at its end the run settles what it held: it learns the real $2.40 and fails on its limit
    assertThat(t).isInstanceOf(WorkflowFailedException.class);
    ApplicationFailure f = (ApplicationFailure) t.getCause();
    assertThat(f.getType()).isEqualTo(BudgetExceeded.TYPE);
    BudgetExceeded.Details d = f.getDetails().get(BudgetExceeded.Details.class);
    assertThat(d.limit()).isEqualTo("hard");
    assertThat(d.refused()).as("found past the limit at settlement, not refused").isFalse();
    assertThat(d.spentUsd()).isEqualByComparingTo("2.40");
    RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd()).isEqualByComparingTo("2.40");
    assertThat(report.reservedUsd()).isEqualByComparingTo("0");
    // nothing lost: five steps, and the run's total is their sum
    String runId = WorkflowStub.fromTyped(wf).getExecution().getRunId();
    List<StepRow> steps = store.steps(runId);
    assertThat(steps).hasSize(5);
    BigDecimal sum = steps.stream().map(StepRow::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(sum).isEqualByComparingTo("2.40");
    assertThat(store.execution(runId).orElseThrow().costUsd()).isEqualByComparingTo(sum);
  }

  @Test
  void anAttemptWhoseRunContinuedAsNewMeanwhileSignalsNeitherRun() {
    failSignals = false;
    String[] runs = continuedWithTheDrawRunning("continued", "10.00", false);
    String firstRun = runs[0];
    WorkflowStub next = run("continued", runs[1]);
    next.signal("release");
    assertThat(next.getResult(String.class)).isEqualTo("continued");
    assertThat(settleSignals(client.fetchHistory("continued", runs[1])))
        .as("the next run never reserved that draw and is not told of it")
        .isZero();
    Counter errors =
        registry.find("costwise.internal.errors").tag("where", "settle-signal").counter();
    assertThat(errors == null ? 0 : errors.count()).as("a closed run is no error").isEqualTo(0.0);
    // the draw's cost is stored with the run that started it
    await("the draw is stored", () -> store.steps(firstRun).size() == 1);
    assertThat(store.steps(firstRun).get(0).costUsd()).isEqualByComparingTo("0.48");
    assertThat(store.execution(firstRun).orElseThrow().costUsd()).isEqualByComparingTo("0.48");
  }

  @Test
  void aRunThatContinuesWithADrawStillRunningCarriesItsReservationToTheChain() {
    failSignals = false;
    // the chain's cap leaves room for one draw reserved at $0.10, not two
    String[] runs = continuedWithTheDrawRunning("carried", "0.15", true);
    WorkflowStub next = run("carried", runs[1]);
    RunCost started = next.query(CostBudget.QUERY, RunCost.class);
    assertThat(started.subtreeSpentUsd())
        .as("the abandoned draw, at its reservation")
        .isEqualByComparingTo("0.10");

    next.signal("release");

    Throwable t = catchThrowable(() -> next.getResult(String.class));
    assertThat(t).isInstanceOf(WorkflowFailedException.class);
    ApplicationFailure f = (ApplicationFailure) t.getCause();
    assertThat(f.getType()).isEqualTo(BudgetExceeded.TYPE);
    BudgetExceeded.Details d = f.getDetails().get(BudgetExceeded.Details.class);
    assertThat(d.refused()).as("the second draw refused before running").isTrue();
    assertThat(d.limitUsd()).isEqualByComparingTo("0.15");
    assertThat(studio.calls("carried")).as("only the first draw ran").isEqualTo(1);
    // the store has the first draw's real cost, with the run that started it
    await("the draw is stored", () -> store.steps(runs[0]).size() == 1);
    assertThat(store.execution(runs[0]).orElseThrow().costUsd()).isEqualByComparingTo("0.48");
  }

  /**
   * Starts a {@link BudgetedPipeline.ContinuingStoryboards} under a hard limit of {@code hardUsd},
   * lets its first run continue as new while its draw waits at the gate, then opens the gate and
   * waits until the draw has tried to signal; returns the first run's id and the next run's.
   */
  private String[] continuedWithTheDrawRunning(
      String workflowId, String hardUsd, boolean drawNext) {
    studio.gate = new java.util.concurrent.CountDownLatch(1);
    int signalsBefore = sentSignals.get();
    var wf =
        client.newWorkflowStub(
            BudgetedPipeline.ContinuingStoryboards.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowId(workflowId)
                .setMemo(Map.of("costwise.budget", Map.of("hardUsd", hardUsd)))
                .setWorkflowRunTimeout(Duration.ofMinutes(1))
                .build());
    String firstRun = WorkflowClient.start(wf::run, true, drawNext).getRunId();
    String nextRun;
    try {
      await("the draw starts", () -> studio.calls(workflowId) == 1);
      run(workflowId, firstRun).signal("release");
      // the first run continues as new while its draw waits at the gate
      await("the next run starts", () -> !latestRun(workflowId).equals(firstRun));
      nextRun = latestRun(workflowId);
    } finally {
      studio.gate.countDown();
    }
    // the draw ends past its grant ($0.48 against $0.10) and tries to tell the run that reserved
    await("the draw tries to signal", () -> sentSignals.get() == signalsBefore + 1);
    return new String[] {firstRun, nextRun};
  }

  private WorkflowStub run(String workflowId, String runId) {
    return client.newUntypedWorkflowStub(
        io.temporal.client.WorkflowTargetOptions.newBuilder()
            .setWorkflowId(workflowId)
            .setRunId(runId)
            .build());
  }

  private String latestRun(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).describe().getExecution().getRunId();
  }

  private static void await(String what, java.util.function.BooleanSupplier condition) {
    dev.costwise.testing.Eventually.until(what, Duration.ofSeconds(20), condition);
  }

  private static long settleSignals(io.temporal.common.WorkflowExecutionHistory history) {
    return history.getEvents().stream()
        .filter(HistoryEvent::hasWorkflowExecutionSignaledEventAttributes)
        .filter(
            e ->
                e.getWorkflowExecutionSignaledEventAttributes()
                    .getSignalName()
                    .equals(BudgetGuard.SETTLE_SIGNAL))
        .count();
  }

  /**
   * Counts the settle signals sent, once each has been answered; while {@code failSignals} is set,
   * fails them as when the frontend cannot be reached.
   */
  private final class FailingSettleSignals extends WorkflowClientInterceptorBase {
    @Override
    public WorkflowClientCallsInterceptor workflowClientCallsInterceptor(
        WorkflowClientCallsInterceptor next) {
      return new WorkflowClientCallsInterceptorBase(next) {
        @Override
        public WorkflowSignalOutput signal(WorkflowSignalInput input) {
          if (!BudgetGuard.SETTLE_SIGNAL.equals(input.getSignalName())) {
            return super.signal(input);
          }
          try {
            if (failSignals) {
              refusedSignals.incrementAndGet();
              throw new io.grpc.StatusRuntimeException(io.grpc.Status.UNAVAILABLE);
            }
            return super.signal(input);
          } finally {
            sentSignals.incrementAndGet();
          }
        }
      };
    }
  }
}
