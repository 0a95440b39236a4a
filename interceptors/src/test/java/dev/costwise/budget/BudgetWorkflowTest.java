package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostSearchAttributes;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.temporal.internal.BudgetGuard;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.SearchAttributes;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Budgets on real workflows: the Temporal test server with Costwise registered, real PostgreSQL.
 */
class BudgetWorkflowTest {
  private static final String QUEUE = "budget-test";
  private static PriceCatalog catalog;
  private static CostStore store;
  private static Jdbi jdbi;
  private static WebhookReceiver webhook;

  private TestWorkflowEnvironment env;
  private SimpleMeterRegistry registry;
  private Budgets budgets;
  private WebhookAlertSink sink;
  private BudgetedPipeline.StudioImpl studio;
  private WorkflowClient client;
  private Worker worker;

  @BeforeAll
  static void database() {
    catalog = CatalogSource.bundledCatalog();
    jdbi = CostStore.jdbi(TestDatabase.fresh());
    store = new CostStore(jdbi);
    webhook = new WebhookReceiver(1);
  }

  @AfterAll
  static void stopWebhook() {
    webhook.close();
  }

  @BeforeEach
  void start() {
    registry = new SimpleMeterRegistry();
    CostMetrics metrics = CostMetrics.boundTo(registry);
    sink = new WebhookAlertSink(webhook.url(), 4, Duration.ofMillis(50), metrics);
    budgets = new Budgets(jdbi, metrics, List.of(sink), Clock.systemUTC());
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(new Pricer(() -> catalog, false))
                .setRecorder(store)
                .setMetrics(metrics)
                .setBudgets(budgets)
                .setDefaultLimits("ParallelStoryboards", ExecutionLimits.of(null, "0.50"))
                .setSearchAttributes(true)
                .addUncheckedActivityTypes("Note")
                .build());
    env = TrackedTestEnvironment.create(tracking);
    CostSearchAttributes.ALL.forEach(env::registerSearchAttribute);
    worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(
        BudgetedPipeline.StoryboardWorkflowImpl.class,
        BudgetedPipeline.ParallelStoryboardsImpl.class,
        BudgetedPipeline.CarefulStoryboardsImpl.class,
        BudgetedPipeline.NotingWorkflowImpl.class,
        BudgetedPipeline.GatedStoryboardsImpl.class,
        BudgetedPipeline.CataloguedStoryboardsImpl.class,
        BudgetedPipeline.AbandoningStoryboardsImpl.class,
        BudgetedPipeline.WideStoryboardsImpl.class,
        BudgetedPipeline.BatchedStoryboardsImpl.class,
        BudgetedPipeline.UnderestimatedStoryboardsImpl.class,
        BudgetedPipeline.RetakenStoryboardsImpl.class);
    studio = new BudgetedPipeline.StudioImpl();
    worker.registerActivitiesImplementations(studio, budgets.checkActivity());
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
    sink.close();
  }

  private <T> T stub(Class<T> type, String id, Map<String, Object> memo) {
    return client.newWorkflowStub(
        type,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).setMemo(memo).build());
  }

  private static Map<String, Object> limits(String soft, String hard, String tenant) {
    Map<String, Object> budget = new java.util.HashMap<>();
    if (soft != null) {
      budget.put("softUsd", soft);
    }
    if (hard != null) {
      budget.put("hardUsd", hard);
    }
    return Map.of("costwise.budget", budget, "costwise.tags", Map.of("tenant", tenant));
  }

  private static String runId(Object workflow) {
    return WorkflowStub.fromTyped(workflow).getExecution().getRunId();
  }

  private static BudgetExceeded.Details budgetFailure(WorkflowFailedException e) {
    assertThat(e.getCause()).isInstanceOf(ApplicationFailure.class);
    ApplicationFailure f = (ApplicationFailure) e.getCause();
    assertThat(f.getType()).isEqualTo(BudgetExceeded.TYPE);
    assertThat(f.isNonRetryable()).isTrue();
    return f.getDetails().get(BudgetExceeded.Details.class);
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void eventually(String what, BooleanSupplier condition) {
    dev.costwise.testing.Eventually.until(what, Duration.ofSeconds(10), condition);
  }

  @Test
  void thirdActivityCrossingTheHardLimitFailsTheRunAndTheFourthNeverRuns() {
    // nothing reserved (whatever history other tests left), so the limit is judged at settlement
    budgets.expect("Draw", BigDecimal.ZERO);
    var wf =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "hard-limit",
            limits(null, "1.20", "hard-co"));

    WorkflowFailedException failed =
        (WorkflowFailedException)
            org.assertj.core.api.Assertions.catchThrowable(() -> wf.run(4, false));

    assertThat(failed).as("the run must fail").isNotNull();
    BudgetExceeded.Details d = budgetFailure(failed);
    assertThat(d.limit()).isEqualTo("hard");
    assertThat(d.limitUsd()).isEqualByComparingTo("1.20");
    assertThat(d.spentUsd()).isEqualByComparingTo("1.44"); // three storyboards at 0.48
    assertThat(d.estimateUsd()).isEqualByComparingTo("0");
    assertThat(d.activityType()).isEqualTo("Draw");
    List<StepRow> steps = store.steps(runId(wf));
    assertThat(steps).hasSize(3);
    assertThat(d.activityId()).isEqualTo(steps.get(2).activityId());
    assertThat(studio.calls("hard-limit")).as("the fourth storyboard never runs").isEqualTo(3);
    assertThat(failed.getCause().getMessage())
        .contains("Run spent $1.44, over its hard limit of $1.2", "Draw");

    List<BudgetAlert> alerts =
        budgets.alerts().stream().filter(a -> a.subject().equals("run:" + runId(wf))).toList();
    assertThat(alerts)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.threshold()).isEqualTo("hard");
              assertThat(a.level()).isEqualTo(BudgetStatus.EXCEEDED);
              assertThat(a.spentUsd()).isEqualByComparingTo("1.44");
            });
  }

  @Test
  void softLimitWarnsOnceAndTheRunCompletes() {
    var wf =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "soft-limit",
            limits("0.50", null, "soft-co"));

    assertThat(wf.run(3, false)).isEqualTo("drew 3");

    String subject = "run:" + runId(wf);
    List<BudgetAlert> alerts =
        budgets.alerts().stream().filter(a -> a.subject().equals(subject)).toList();
    assertThat(alerts)
        .as("crossed after the 2nd step, still over after the 3rd: one alert")
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.threshold()).isEqualTo("soft");
              assertThat(a.level()).isEqualTo(BudgetStatus.WARNING);
              assertThat(a.spentUsd()).isEqualByComparingTo("0.96");
              assertThat(a.limitUsd()).isEqualByComparingTo("0.50");
              assertThat(a.workflowId()).isEqualTo("soft-limit");
            });
    eventually("the webhook got the soft alert", () -> webhook.accepted(subject).size() == 1);
    pause(Duration.ofMillis(300));
    assertThat(webhook.accepted(subject)).as("one crossing, one post").hasSize(1);
    JsonNode body = webhook.accepted(subject).get(0);
    assertThat(new BigDecimal(body.get("spentUsd").asText())).isEqualByComparingTo("0.96");
    assertThat(body.get("threshold").asText()).isEqualTo("soft");
    assertThat(
            registry
                .find("costwise.budget.alerts")
                .tag("kind", "run")
                .tag("level", "WARNING")
                .counter()
                .count())
        .isEqualTo(1.0);

    RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
    assertThat(report.status()).isEqualTo(BudgetStatus.WARNING);
    assertThat(report.spentUsd()).isEqualByComparingTo("1.44");
  }

  @Test
  void costQueryAndSearchAttributesHoldExactTotalsWhileRunningAndAfter() {
    var wf =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "queried",
            limits("1.00", "2.00", "query-co"));
    WorkflowClient.start(wf::run, 2, true);
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);

    eventually(
        "both steps are checked",
        () ->
            untyped
                    .query(CostBudget.QUERY, RunCost.class)
                    .spentUsd()
                    .compareTo(new BigDecimal("0.96"))
                == 0);
    RunCost running = untyped.query(CostBudget.QUERY, RunCost.class);
    assertThat(running.runId()).isEqualTo(untyped.getExecution().getRunId());
    assertThat(running.status()).isEqualTo(BudgetStatus.OK);
    assertThat(running.softLimitUsd()).isEqualByComparingTo("1.00");
    assertThat(running.hardLimitUsd()).isEqualByComparingTo("2.00");
    assertThat(running.byModel()).containsOnlyKeys("dall-e-3");
    assertThat(running.byModel().get("dall-e-3")).isEqualByComparingTo("0.96");
    assertThat(running.byActivity()).containsOnlyKeys("Draw");
    assertThat(running.byActivity().get("Draw")).isEqualByComparingTo("0.96");
    // the catalog that priced the run's lines: the one the pricer holds
    assertThat(running.catalogs()).containsExactly(catalog.version());
    assertThat(running.catalogs().get(0).hash()).hasSize(16);
    SearchAttributes attributes = untyped.describe().getTypedSearchAttributes();
    assertThat(attributes.get(CostSearchAttributes.COST_USD)).isEqualTo(0.96);
    assertThat(attributes.get(CostSearchAttributes.COST_STATUS)).isEqualTo("OK");
    assertThat(attributes.get(CostSearchAttributes.COST_LIMIT_USD)).isEqualTo(2.0);

    wf.release();
    assertThat(untyped.getResult(String.class)).isEqualTo("drew 2");
    RunCost done = untyped.query(CostBudget.QUERY, RunCost.class);
    assertThat(done.spentUsd()).isEqualByComparingTo("0.96");
    assertThat(done.catalogs()).containsExactly(catalog.version());
    assertThat(
            store.steps(untyped.getExecution().getRunId()).stream()
                .map(r -> r.pricedWith().catalog())
                .distinct()
                .toList())
        .isEqualTo(done.catalogs());
    assertThat(store.execution(untyped.getExecution().getRunId()).orElseThrow().costUsd())
        .isEqualByComparingTo(done.spentUsd());
    assertThat(untyped.describe().getTypedSearchAttributes().get(CostSearchAttributes.COST_USD))
        .isEqualTo(0.96);
  }

  @Test
  void searchAttributesShowStatusAtOnceAndSpendBeforeTheRunWaitsNotAfterEveryActivity() {
    var wf =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "upserts-held-back",
            limits("0.50", "200.00", "upserts-co"));
    WorkflowClient.start(wf::run, 5, true);
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);

    // five draws in a few seconds, then the run waits for its signal: by then the Web UI shows
    // the exact spend
    eventually(
        "the five draws are shown before the run waits",
        () -> {
          SearchAttributes a = untyped.describe().getTypedSearchAttributes();
          return Double.valueOf(2.40).equals(a.get(CostSearchAttributes.COST_USD));
        });
    assertThat(untyped.describe().getTypedSearchAttributes().get(CostSearchAttributes.COST_STATUS))
        .isEqualTo("WARNING");
    wf.release();
    assertThat(untyped.getResult(String.class)).isEqualTo("drew 5");

    List<Double> shown = new java.util.ArrayList<>();
    for (var e : client.fetchHistory("upserts-held-back").getEvents()) {
      if (e.hasUpsertWorkflowSearchAttributesEventAttributes()) {
        var fields =
            e.getUpsertWorkflowSearchAttributesEventAttributes()
                .getSearchAttributes()
                .getIndexedFieldsMap();
        var cost = fields.get(CostSearchAttributes.COST_USD.getName());
        shown.add(cost == null ? null : Double.valueOf(cost.getData().toStringUtf8()));
      }
    }
    // at the start ($0), when the soft limit was crossed (the status changed, with the spend then),
    // and before the wait: not after each of the five draws
    assertThat(shown).hasSizeLessThanOrEqualTo(4).startsWith(0.0).endsWith(2.40).contains(0.96);
    RunCost report = untyped.query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd())
        .as("the query is exact at every step")
        .isEqualByComparingTo("2.40");
  }

  @Test
  void periodBudgetAtItsMaximumBlocksANewRunsFirstActivity() {
    budgets.create(
        new PeriodBudget(
            "blocked-co-daily",
            BudgetPeriod.DAILY,
            BudgetScope.tag("tenant", "blocked-co"),
            new BigDecimal("0.96"),
            List.of(Threshold.parse("80:notify"), Threshold.parse("100:block"))));
    var first =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "blocked-1",
            limits(null, null, "blocked-co"));
    assertThat(first.run(2, false)).isEqualTo("drew 2");
    RunCost firstReport = WorkflowStub.fromTyped(first).query(CostBudget.QUERY, RunCost.class);
    assertThat(firstReport.status()).isEqualTo(BudgetStatus.BLOCKED);
    assertThat(firstReport.budgets())
        .singleElement()
        .satisfies(
            u -> {
              assertThat(u.spentUsd()).isEqualByComparingTo("0.96");
              assertThat(u.percent()).isEqualByComparingTo("100");
              assertThat(u.reached()).isEqualTo("100%");
              assertThat(u.blocking()).isTrue();
            });

    var second =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "blocked-2",
            limits(null, null, "blocked-co"));
    WorkflowFailedException failed =
        (WorkflowFailedException)
            org.assertj.core.api.Assertions.catchThrowable(() -> second.run(2, false));

    BudgetExceeded.Details d = budgetFailure(failed);
    assertThat(d.limit()).isEqualTo("budget:blocked-co-daily");
    assertThat(d.limitUsd()).isEqualByComparingTo("0.96");
    assertThat(d.spentUsd()).isEqualByComparingTo("0.96");
    assertThat(d.activityType()).isEqualTo("Draw");
    assertThat(studio.calls("blocked-2")).as("the blocked activity never ran").isZero();
    var opened = store.execution(runId(second)).orElseThrow();
    assertThat(opened.costUsd()).as("refused before running: kept, nothing spent").isZero();
    assertThat(opened.usageCount()).isZero();
    assertThat(store.steps(runId(second))).isEmpty();

    List<BudgetAlert> alerts =
        budgets.alerts().stream()
            .filter(a -> a.subject().equals("budget:blocked-co-daily"))
            .toList();
    assertThat(alerts).extracting(BudgetAlert::threshold).containsExactly("80%", "100%");
    assertThat(alerts.get(1).level()).isEqualTo(BudgetStatus.BLOCKED);
    eventually(
        "the webhook got both crossings",
        () -> webhook.accepted("budget:blocked-co-daily").size() == 2);
    pause(Duration.ofMillis(300));
    assertThat(webhook.accepted("budget:blocked-co-daily"))
        .extracting(n -> n.get("threshold").asText())
        .containsExactlyInAnyOrder("80%", "100%");
  }

  @Test
  void parallelActivitiesOvershootByAtMostWhatWasInFlight() {
    var wf =
        stub(
            BudgetedPipeline.ParallelStoryboards.class,
            "parallel",
            Map.of("costwise.tags", Map.of("tenant", "par-co")));

    assertThatThrownBy(() -> wf.run(3))
        .isInstanceOfSatisfying(
            WorkflowFailedException.class,
            e -> {
              BudgetExceeded.Details d = budgetFailure(e);
              assertThat(d.limitUsd())
                  .as("the default limit for the type")
                  .isEqualByComparingTo("0.50");
              assertThat(d.spentUsd()).isGreaterThan(new BigDecimal("0.50"));
            });

    String runId = runId(wf);
    eventually(
        "all three in-flight storyboards are recorded", () -> store.steps(runId).size() == 3);
    assertThat(store.execution(runId).orElseThrow().costUsd())
        .as("three storyboards were in flight when the limit was crossed; the fourth never started")
        .isEqualByComparingTo("1.44");
    assertThat(studio.calls("parallel")).isEqualTo(3);
  }

  @Test
  void activitiesInFlightHoldNoWorkflowThreadOfCostwise() {
    // each activity is settled by the thread that completes its result: while twelve run at once,
    // no workflow thread may be waiting in Costwise for one of them (a thread each, as runs of the
    // release before took, is a real thread of the worker's bounded workflow-thread pool)
    studio.gate = new java.util.concurrent.CountDownLatch(1);
    var wf =
        stub(BudgetedPipeline.WideStoryboards.class, "wide", limits(null, "100.00", "wide-co"));
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);
    untyped.start(12);
    try {
      eventually("twelve storyboards in flight", () -> studio.calls("wide") == 12);
      pause(Duration.ofMillis(200)); // the workflow task that scheduled them has settled down
      assertThat(BudgetedPipeline.threadsWaitingInCostwise())
          .as("workflow threads waiting in Costwise with twelve activities in flight")
          .isEmpty();
    } finally {
      studio.gate.countDown();
    }
    assertThat(untyped.getResult(String.class)).isEqualTo("drew 13");
    RunCost report = untyped.query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd()).as("13 storyboards settled").isEqualByComparingTo("6.24");
    assertThat(report.reservedUsd()).isEqualByComparingTo("0");
  }

  @Test
  void anActivityCanceledBeforeItRanIsSettledAtNothingAndTheRunGoesOn() {
    // the scope's cancellation fails the activity's result in the workflow's own thread, which
    // then settles it: the run must neither hang there nor keep the reservation
    var wf =
        stub(
            BudgetedPipeline.AbandoningStoryboards.class,
            "abandoning",
            limits(null, "5.00", "abandon-co"));

    assertThat(wf.run()).isEqualTo("canceled, then storyboard 2");

    String runId = runId(wf);
    RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
    assertThat(studio.calls("abandoning")).as("the canceled storyboard never ran").isEqualTo(1);
    assertThat(report.spentUsd()).as("the one storyboard drawn").isEqualByComparingTo("0.48");
    assertThat(report.reservedUsd()).as("nothing left reserved").isEqualByComparingTo("0");
    assertThat(report.status()).isEqualTo(BudgetStatus.OK);
    eventually("the drawn storyboard is recorded", () -> store.steps(runId).size() == 1);
    assertThat(store.execution(runId).orElseThrow().costUsd()).isEqualByComparingTo("0.48");
  }

  @Test
  void explicitCheckRefusesAnEstimateThatWouldCrossTheHardLimit() {
    var wf =
        stub(
            BudgetedPipeline.CarefulStoryboards.class,
            "careful",
            limits(null, "1.00", "careful-co"));

    assertThat(wf.run("0.60")).isEqualTo("skipped: " + BudgetExceeded.TYPE);

    assertThat(studio.calls("careful")).isEqualTo(1);
    var cheap =
        stub(
            BudgetedPipeline.CarefulStoryboards.class,
            "careful-cheap",
            limits(null, "1.00", "careful-co"));
    assertThat(cheap.run("0.48")).isEqualTo("drew 2");
  }

  @Test
  void uncheckedActivitiesAreNeitherCheckedNorRefused() {
    // nothing reserved (whatever history other tests left): the spender's draw runs and crosses
    budgets.expect("Draw", BigDecimal.ZERO);
    budgets.create(
        new PeriodBudget(
            "noting-co-weekly",
            BudgetPeriod.WEEKLY,
            BudgetScope.tag("tenant", "noting-co"),
            new BigDecimal("0.01"),
            List.of(Threshold.parse("100:block"))));
    var spender =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "noting-spender",
            limits(null, null, "noting-co"));
    assertThat(spender.run(1, false)).isEqualTo("drew 1");

    var wf = stub(BudgetedPipeline.NotingWorkflow.class, "noting", limits(null, null, "noting-co"));
    Throwable failed = org.assertj.core.api.Assertions.catchThrowable(wf::run);

    assertThat(budgetFailure((WorkflowFailedException) failed).limit())
        .isEqualTo("budget:noting-co-weekly");
    assertThat(budgetFailure((WorkflowFailedException) failed).refused())
        .as("refused before it was scheduled")
        .isTrue();
    assertThat(studio.calls("noting/note"))
        .as("the unchecked note ran despite the blocking budget")
        .isEqualTo(1);
    assertThat(studio.calls("noting")).as("the storyboard was refused").isZero();
    assertThat(settlements(client.fetchHistory("noting")))
        .as(
            "the version marker and the settlement that asked what a draw costs before refusing"
                + " it, then the refusal's version marker and its record: none after the note")
        .containsExactly(
            BudgetGuard.CHANGE_ID,
            SETTLEMENT,
            BudgetGuard.REFUSAL_CHANGE_ID,
            BudgetCheckActivity.REFUSED_TYPE);
  }

  /** How {@link #markerNames} names a settlement answered from the worker's memory. */
  private static final String FROM_MEMORY = "settlement from memory";

  /** How {@link #markerNames} names a settlement memory could not answer, which the store did. */
  private static final String BY_STORE = "settlement by the store";

  /** How {@link #settlements} names a settlement either way. */
  private static final String SETTLEMENT = "settlement";

  /**
   * A history's markers by name: a version marker by its change id, a local activity by its type, a
   * settlement as {@link #FROM_MEMORY} or {@link #BY_STORE} (a side effect recording that memory
   * could not answer, then the store's local activity: checked to come in that pair).
   */
  private static List<String> markerNames(io.temporal.common.WorkflowExecutionHistory history) {
    List<String> names = new java.util.ArrayList<>();
    boolean unanswered = false;
    for (var e : history.getEvents()) {
      String name = Markers.name(e);
      if (name == null) {
        continue;
      }
      if (Markers.sideEffect(e)) {
        assertThat(unanswered).as("a question memory could not answer goes to the store").isFalse();
        unanswered = Markers.unanswered(e);
        if (!unanswered) {
          names.add(FROM_MEMORY);
        }
        continue;
      }
      if (name.equals(BudgetCheckActivity.SETTLE_TYPE)) {
        assertThat(unanswered).as("the store settles only what memory could not").isTrue();
        name = BY_STORE;
      }
      unanswered = false;
      names.add(name);
    }
    return names;
  }

  /** {@link #markerNames} with both kinds of settlement named {@link #SETTLEMENT}. */
  private static List<String> settlements(io.temporal.common.WorkflowExecutionHistory history) {
    return markerNames(history).stream()
        .map(n -> n.equals(FROM_MEMORY) || n.equals(BY_STORE) ? SETTLEMENT : n)
        .toList();
  }

  @Test
  void anActivityRefusedBeforeRunningIsStoredAsAnAlertOfItsRun() {
    budgets.expect("Draw", new BigDecimal("0.48"));
    var wf =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "refused-draw",
            limits("0.30", "0.70", "refused-co"));
    WorkflowFailedException failed =
        (WorkflowFailedException)
            org.assertj.core.api.Assertions.catchThrowable(() -> wf.run(3, false));

    BudgetExceeded.Details d = budgetFailure(failed);
    assertThat(d.refused()).isTrue();
    assertThat(studio.calls("refused-draw")).as("the second draw never ran").isEqualTo(1);
    String runId = runId(wf);
    List<BudgetAlert> alerts =
        budgets.alerts().stream().filter(a -> a.runId().equals(runId)).toList();
    assertThat(alerts)
        .extracting(BudgetAlert::threshold)
        .as("the soft crossing of the first draw, then the refusal; no hard crossing")
        .containsExactly("soft", "refused:hard");
    BudgetAlert refusal = alerts.get(1);
    assertThat(refusal.subject()).isEqualTo("run:" + runId);
    assertThat(refusal.action()).isEqualTo(BudgetAlert.REFUSE);
    assertThat(refusal.level()).isEqualTo(BudgetStatus.EXCEEDED);
    assertThat(refusal.activityType()).isEqualTo("Draw");
    assertThat(refusal.expectedUsd()).isEqualByComparingTo("0.48");
    assertThat(refusal.spentUsd()).as("spent at the refusal").isEqualByComparingTo("0.48");
    assertThat(refusal.limitUsd()).isEqualByComparingTo("0.70");
    assertThat(refusal.workflowId()).isEqualTo("refused-draw");
    eventually("the webhook got the refusal", () -> webhook.accepted("run:" + runId).size() == 2);
    assertThat(webhook.accepted("run:" + runId))
        .anySatisfy(
            n -> {
              assertThat(n.get("action").asText()).isEqualTo("REFUSE");
              assertThat(n.get("activityType").asText()).isEqualTo("Draw");
            });

    assertThat(settlements(client.fetchHistory("refused-draw")))
        .as("the refusal is recorded after its own version marker, after the settlements")
        .containsSubsequence(
            SETTLEMENT, BudgetGuard.REFUSAL_CHANGE_ID, BudgetCheckActivity.REFUSED_TYPE)
        .endsWith(BudgetCheckActivity.REFUSED_TYPE);
  }

  @Test
  void anActivityBlockedAtTheWorkerIsStoredAsARefusalOfItsRun() {
    budgets.create(
        new PeriodBudget(
            "gated-co-daily",
            BudgetPeriod.DAILY,
            BudgetScope.tag("tenant", "gated-co"),
            new BigDecimal("1.00"),
            List.of(Threshold.parse("100:block"))));
    var wf = stub(BudgetedPipeline.GatedStoryboards.class, "gated", limits(null, null, "gated-co"));
    WorkflowClient.start(wf::run);
    String runId = runId(wf);
    eventually(
        "the run settled its first draw",
        () ->
            WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class).spentUsd().signum()
                > 0);
    // another worker's spend on the budget, after this run's last settlement: the run still sees
    // $0.48 of $1.00 spent and reserves its second draw; the activity worker reads the budget
    // again (its view is at most a second old) and blocks the draw before it runs
    Instant now = Instant.now();
    Usage elsewhere = Usage.of("openai", "gpt-4o").inputTokens(1_000_000).build();
    store.record(
        new AttemptCost(
            new AttemptContext(
                "default", "wf-other", "Other", "run-other", "1", "Write", 1, QUEUE, now),
            Outcome.COMPLETED,
            List.of(new PricedUsage(elsewhere, Pricer.of(catalog).priceLenient(elsewhere))),
            Map.of("tenant", "gated-co"),
            now));
    pause(BudgetPolicy.REFRESH.plusMillis(200));
    WorkflowStub.fromTyped(wf).signal("release");
    WorkflowFailedException failed =
        (WorkflowFailedException)
            org.assertj.core.api.Assertions.catchThrowable(
                () -> WorkflowStub.fromTyped(wf).getResult(String.class));

    BudgetExceeded.Details d = budgetFailure(failed);
    assertThat(d.limit()).isEqualTo("budget:gated-co-daily");
    assertThat(d.activityId())
        .as("blocked by the activity worker, which knows the attempt's activity id")
        .isNotNull();
    assertThat(studio.calls("gated")).as("the second draw never ran").isEqualTo(1);
    assertThat(client.fetchHistory("gated").getEvents())
        .as("refused by the activity worker, not by the workflow (which records its refusals)")
        .noneMatch(
            e ->
                e.hasMarkerRecordedEventAttributes()
                    && e.getMarkerRecordedEventAttributes()
                        .getDetailsMap()
                        .toString()
                        .contains(BudgetCheckActivity.REFUSED_TYPE));
    List<BudgetAlert> alerts =
        budgets.alerts().stream().filter(a -> a.runId().equals(runId)).toList();
    assertThat(alerts)
        .as("stored as the workflow's own refusals are: once, for the budget that blocked")
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.subject()).isEqualTo("run:" + runId);
              assertThat(a.threshold()).isEqualTo("refused:budget:gated-co-daily");
              assertThat(a.action()).isEqualTo(BudgetAlert.REFUSE);
              assertThat(a.level()).isEqualTo(BudgetStatus.BLOCKED);
              assertThat(a.activityType()).isEqualTo("Draw");
              assertThat(a.limitUsd()).isEqualByComparingTo("1.00");
              assertThat(a.spentUsd()).as("the budget's spend").isEqualByComparingTo("2.98");
              assertThat(a.workflowId()).isEqualTo("gated");
            });
  }

  @Test
  void anEstimateRefusedByAnExplicitCheckIsNotStoredAsARefusal() {
    budgets.expect("Draw", new BigDecimal("0.48"));
    var wf =
        stub(
            BudgetedPipeline.CarefulStoryboards.class,
            "refused-twice",
            limits(null, "0.50", "refused-twice-co"));
    // draws one (0.48 of 0.50); the explicit check then refuses 0.60 and the workflow goes on
    assertThat(wf.run("0.60")).isEqualTo("skipped: " + BudgetExceeded.TYPE);
    String runId = runId(wf);
    assertThat(budgets.alerts().stream().filter(a -> a.runId().equals(runId)))
        .as("an explicit check refusing an estimate is the workflow asking, not a refusal stored")
        .noneMatch(BudgetAlert::refusal);
  }

  @Test
  void theRunsLimitsAreKeptWithItsTotalsWhetherCrossedOrNot() {
    var wf =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "limits-kept",
            limits("2.00", "5.00", "limits-co"));
    assertThat(wf.run(1, false)).isEqualTo("drew 1");
    var none =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "limits-none",
            Map.of("costwise.tags", Map.of("tenant", "limits-co")));
    assertThat(none.run(1, false)).isEqualTo("drew 1");

    Map<String, Object> row = executionLimits(runId(wf));
    assertThat((BigDecimal) row.get("soft_limit_usd")).isEqualByComparingTo("2.00");
    assertThat((BigDecimal) row.get("hard_limit_usd")).isEqualByComparingTo("5.00");
    assertThat(row.get("tree_limits")).isEqualTo("[]");
    Map<String, Object> unlimited = executionLimits(runId(none));
    assertThat(unlimited.get("soft_limit_usd")).isNull();
    assertThat(unlimited.get("hard_limit_usd")).isNull();
    assertThat(unlimited.get("tree_limits")).as("recorded: no limits").isEqualTo("[]");
  }

  @Test
  void aRunRefusedBeforeItsFirstActivityHasAnExecutionRowToOpen() {
    budgets.expect("Draw", new BigDecimal("0.48"));
    var wf =
        stub(
            BudgetedPipeline.StoryboardWorkflow.class,
            "refused-at-once",
            limits("0.20", "0.40", "refused-at-once-co"));
    WorkflowFailedException failed =
        (WorkflowFailedException)
            org.assertj.core.api.Assertions.catchThrowable(() -> wf.run(2, false));

    assertThat(budgetFailure(failed).refused()).isTrue();
    assertThat(studio.calls("refused-at-once")).as("no draw ran").isZero();
    String runId = runId(wf);
    assertThat(store.steps(runId)).as("nothing was spent").isEmpty();
    var execution = store.execution(runId).orElseThrow();
    assertThat(execution.costUsd()).isEqualByComparingTo("0");
    assertThat(execution.workflowId()).isEqualTo("refused-at-once");
    assertThat(execution.tags()).contains("\"tenant\": \"refused-at-once-co\"");
    assertThat(execution.taskQueue()).isEqualTo(QUEUE);
    assertThat(execution.usageCount()).isZero();
    Map<String, Object> row = executionLimits(runId);
    assertThat((BigDecimal) row.get("soft_limit_usd")).isEqualByComparingTo("0.20");
    assertThat((BigDecimal) row.get("hard_limit_usd")).isEqualByComparingTo("0.40");
    assertThat(row.get("tree_limits")).isEqualTo("[]");
    assertThat(budgets.alerts())
        .filteredOn(a -> a.runId().equals(runId))
        .extracting(BudgetAlert::threshold)
        .containsExactly("refused:hard");
  }

  @Test
  void activitiesThatRanOnThisWorkerAreSettledFromMemoryWithTheSameTotals() {
    budgets.expect("Draw", new BigDecimal("0.48"));
    // a workflow type of its own, so its draws add nothing to the history other tests reserve from
    var wf =
        stub(
            BudgetedPipeline.GatedStoryboards.class,
            "settled-here",
            limits(null, "5.00", "settled-here-co"));
    WorkflowClient.start(wf::run);
    wf.release();
    assertThat(WorkflowStub.fromTyped(wf).getResult(String.class)).isEqualTo("drew 2");

    String runId = runId(wf);
    List<String> markers = markerNames(client.fetchHistory("settled-here"));
    // the expected cost of Draw, then two settlements: each answered once, from memory or (when
    // memory could not) by the store
    assertThat(settlements(client.fetchHistory("settled-here")))
        .containsExactly(BudgetGuard.CHANGE_ID, SETTLEMENT, SETTLEMENT, SETTLEMENT);
    assertThat(markers).as("settled from memory").contains(FROM_MEMORY);
    RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd()).isEqualByComparingTo("0.96");
    assertThat(report.byActivity().get("Draw")).isEqualByComparingTo("0.96");
    assertThat(store.execution(runId).orElseThrow().costUsd()).isEqualByComparingTo("0.96");
    assertThat(budgets.activityCosts().whole(runId, store.steps(runId).get(0).activityId()))
        .as("a settled activity is forgotten")
        .isEmpty();
  }

  @Test
  void aSettlementFromMemoryDoesNotRecordAgainACatalogTheRunHolds() {
    budgets.expect("Draw", new BigDecimal("0.48"));
    var wf =
        stub(
            BudgetedPipeline.CataloguedStoryboards.class,
            "catalogued",
            limits(null, "10.00", "catalogued-co"));
    assertThat(wf.run(6)).isEqualTo("drew 6");

    RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd()).isEqualByComparingTo("2.88");
    assertThat(report.catalogs()).as("the run still names the catalog that priced it").hasSize(1);
    String hash = report.catalogs().get(0).hash();
    // the six draws are settled together (see the batch test below), from memory unless the
    // worker's figures went stale meanwhile; memory's answers record the catalog at most once
    int fromMemory = 0;
    int naming = 0;
    for (HistoryEvent e : client.fetchHistory("catalogued").getEvents()) {
      String answered = Markers.unanswered(e) ? null : Markers.sideEffectData(e);
      if (answered != null && answered.startsWith("[")) {
        for (JsonNode settlement : json(answered)) {
          fromMemory += settlement.isNull() ? 0 : 1;
        }
        naming += occurrences(answered, hash);
      }
    }
    assertThat(fromMemory).as("draws settled from memory").isPositive();
    assertThat(naming).as("memory's answers naming the catalog").isLessThanOrEqualTo(1);
    assertThatCode(
            () ->
                io.temporal.testing.WorkflowReplayer.replayWorkflowExecution(
                    client.fetchHistory("catalogued"), worker))
        .as("the history replays")
        .doesNotThrowAnyException();
  }

  private static int occurrences(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
      n++;
    }
    return n;
  }

  private static JsonNode json(String text) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void activitiesWithinTheirReservationAreSettledTogetherInOneMarker() {
    budgets.expect("Draw", new BigDecimal("0.48"));
    var wf =
        stub(
            BudgetedPipeline.BatchedStoryboards.class,
            "batched",
            limits(null, "10.00", "batched-co"));
    assertThat(wf.run(6)).isEqualTo("drew 6");

    String runId = runId(wf);
    var history = client.fetchHistory("batched");
    // the expected cost of Draw (from memory, or by the store while the worker's figures are
    // cold), then one settlement of all six draws, answered from memory
    assertThat(settlements(history)).containsExactly(BudgetGuard.CHANGE_ID, SETTLEMENT, SETTLEMENT);
    List<String> answers =
        history.getEvents().stream()
            .filter(e -> Markers.sideEffect(e) && !Markers.unanswered(e))
            .map(Markers::sideEffectData)
            .toList();
    assertThat(json(answers.get(answers.size() - 1)).size())
        .as("draws in the last settlement")
        .isEqualTo(6);
    assertThat(signals(history)).as("no attempt cost more than its reservation").isEmpty();
    RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd()).isEqualByComparingTo("2.88");
    assertThat(report.byActivity().get("Draw")).isEqualByComparingTo("2.88");
    assertThat(report.reservedUsd()).as("nothing left reserved").isEqualByComparingTo("0");
    assertThat(store.execution(runId).orElseThrow().costUsd()).isEqualByComparingTo("2.88");
    List<StepRow> steps = store.steps(runId);
    assertThat(steps).hasSize(6);
    for (StepRow step : steps) {
      assertThat(budgets.activityCosts().whole(runId, step.activityId()))
          .as("a settled activity is forgotten")
          .isEmpty();
    }
  }

  @Test
  void theCostQueryShowsWhatTheActivitiesHeldForABatchReserved() {
    budgets.expect("Draw", new BigDecimal("0.48"));
    studio.gate = new java.util.concurrent.CountDownLatch(1);
    studio.gateFrom = 3;
    var wf =
        stub(
            BudgetedPipeline.BatchedStoryboards.class,
            "held-query",
            limits(null, "10.00", "held-query-co"));
    WorkflowClient.start(wf::run, 3);
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);
    try {
      // the third draw has started: the first two completed within their reservation and are held
      eventually("the third draw starts", () -> studio.calls("held-query") == 3);
      RunCost held = untyped.query(CostBudget.QUERY, RunCost.class);
      assertThat(held.spentUsd()).as("nothing settled yet").isEqualByComparingTo("0");
      assertThat(held.reservedUsd()).as("three draws reserved").isEqualByComparingTo("1.44");
      assertThat(held.heldUsd()).as("two of them completed").isEqualByComparingTo("0.96");
    } finally {
      studio.gate.countDown();
    }
    assertThat(untyped.getResult(String.class)).isEqualTo("drew 3");

    RunCost settled = untyped.query(CostBudget.QUERY, RunCost.class);
    assertThat(settled.spentUsd()).isEqualByComparingTo("1.44");
    assertThat(settled.reservedUsd()).isEqualByComparingTo("0");
    assertThat(settled.heldUsd()).isEqualByComparingTo("0");
    assertThat(store.execution(runId(wf)).orElseThrow().costUsd()).isEqualByComparingTo("1.44");
  }

  @Test
  void anAttemptPastItsReservationTellsItsRunBeforeItCompletes() {
    // reserved at $0.10, each draw costs $0.48: held at its reservation, the run would start a
    // draw after the second (0.96 + 0.10 is past 1.00 only once the real cost is known)
    budgets.expect("Draw", new BigDecimal("0.10"));
    var wf =
        stub(
            BudgetedPipeline.UnderestimatedStoryboards.class,
            "underestimated",
            limits(null, "1.00", "underestimated-co"));

    WorkflowFailedException e = catchFailure(() -> wf.run(5));

    BudgetExceeded.Details d = budgetFailure(e);
    assertThat(d.refused()).as("the third draw refused before running").isTrue();
    assertThat(d.spentUsd()).isEqualByComparingTo("0.96");
    assertThat(studio.calls("underestimated")).isEqualTo(2);
    var history = client.fetchHistory("underestimated");
    assertThat(signals(history))
        .as("each draw's signal, then its result")
        .containsExactly(
            BudgetGuard.SETTLE_SIGNAL, "completed", BudgetGuard.SETTLE_SIGNAL, "completed");
    RunCost report = WorkflowStub.fromTyped(wf).query(CostBudget.QUERY, RunCost.class);
    assertThat(report.spentUsd()).isEqualByComparingTo("0.96");
    assertThat(report.reservedUsd()).isEqualByComparingTo("0");
    // the budget service's own local activities (the refusal's record here) spend nothing and
    // are never settled: memory keeps no entry of theirs to push out those waiting to be settled
    List<String> own =
        history.getEvents().stream()
            .map(Markers::localActivityId)
            .filter(java.util.Objects::nonNull)
            .toList();
    assertThat(own).isNotEmpty();
    for (String id : own) {
      assertThat(budgets.activityCosts().whole(runId(wf), id))
          .as("local activity %s", id)
          .isEmpty();
    }
  }

  @Test
  void aRetriedActivityIsSettledWithEveryAttemptAtOnce() {
    // each take costs $0.48 and fits the $0.48 reserved, but the retry is the second: both are
    // billed, so the run must know $0.96 before it reserves the draw ($0.96 + $0.48 > $1.20)
    budgets.expect("Retake", new BigDecimal("0.48"));
    budgets.expect("Draw", new BigDecimal("0.48"));
    var wf =
        stub(
            BudgetedPipeline.RetakenStoryboards.class,
            "retaken",
            limits(null, "1.20", "retaken-co"));

    WorkflowFailedException e = catchFailure(wf::run);

    BudgetExceeded.Details d = budgetFailure(e);
    assertThat(d.refused()).isTrue();
    assertThat(d.activityType()).isEqualTo("Draw");
    assertThat(d.spentUsd()).isEqualByComparingTo("0.96");
    assertThat(studio.calls("retaken/retake")).isEqualTo(2);
    assertThat(studio.calls("retaken")).as("the draw never ran").isZero();
    assertThat(signals(client.fetchHistory("retaken")))
        .containsExactly(BudgetGuard.SETTLE_SIGNAL, "completed");
    assertThat(store.execution(runId(wf)).orElseThrow().costUsd()).isEqualByComparingTo("0.96");
  }

  private static WorkflowFailedException catchFailure(Runnable run) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(run::run);
    assertThat(t).isInstanceOf(WorkflowFailedException.class);
    return (WorkflowFailedException) t;
  }

  /** A history's settle signals and activity completions ("completed"), in order. */
  private static List<String> signals(io.temporal.common.WorkflowExecutionHistory history) {
    List<String> seen = new java.util.ArrayList<>();
    for (HistoryEvent e : history.getEvents()) {
      if (e.hasWorkflowExecutionSignaledEventAttributes()) {
        seen.add(e.getWorkflowExecutionSignaledEventAttributes().getSignalName());
      } else if (e.hasActivityTaskCompletedEventAttributes() && !seen.isEmpty()) {
        seen.add("completed");
      }
    }
    return seen;
  }

  private static Map<String, Object> executionLimits(String runId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT soft_limit_usd, hard_limit_usd, CAST(tree_limits AS text) AS tree_limits"
                        + " FROM cost_execution WHERE run_id = :id")
                .bind("id", runId)
                .mapToMap()
                .one());
  }
}
