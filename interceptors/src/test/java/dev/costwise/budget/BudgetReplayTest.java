package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.temporal.CostSearchAttributes;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.temporal.internal.BudgetGuard;
import dev.costwise.testing.TestDatabase;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Replays saved histories on a worker with budgets on: one recorded with budget checks (markers and
 * search-attribute upserts), and ones recorded before the interceptor was added, which must replay
 * without a check (the version marker is absent, so the run stays unchecked).
 *
 * <p>Record this release's histories ({@code history-settled-in-batches.json}: two draws held
 * within their reservations and settled together in one marker, a third refused and stored; {@code
 * history-settled-past-grant.json}: a retried activity whose second attempt signals its run, then a
 * draw refused) with {@code -Dcostwise.recordHistories=true -Dtest=BudgetReplayTest}; the older
 * ones were recorded by their releases and are never regenerated: those that checked after each
 * activity, those that settled through a local activity but stored no refusal ({@code
 * history-settled.json}, {@code history-settled-hard-limit.json}, {@code
 * history-settled-refused.json}), the one that settled through a local activity and stored its
 * refusal ({@code history-refused.json}), the one that settled from memory in a workflow thread of
 * each activity's own ({@code history-settled-in-workflow.json}), and the three that settled each
 * activity or child in the thread that completed it ({@code *-where-completed.json}).
 */
class BudgetReplayTest {
  private static final String QUEUE = "budget-replay";
  private static final String WITH_CHECKS = "budget/history-with-checks.json";
  private static final String HARD_LIMIT = "budget/history-hard-limit.json";
  private static final String WITHOUT_INTERCEPTOR = "budget/history-without-interceptor.json";
  private static final String SETTLED = "budget/history-settled.json";
  private static final String SETTLED_HARD_LIMIT = "budget/history-settled-hard-limit.json";
  private static final String SETTLED_REFUSED = "budget/history-settled-refused.json";
  private static final String REFUSED = "budget/history-refused.json";
  private static final String IN_WORKFLOW = "budget/history-settled-in-workflow.json";
  private static final String WHERE_COMPLETED = "budget/history-settled-where-completed.json";
  private static final String PARALLEL_WHERE_COMPLETED =
      "budget/history-parallel-settled-where-completed.json";
  private static final String TREE_WHERE_COMPLETED =
      "budget/history-tree-settled-where-completed.json";
  private static final String IN_BATCHES = "budget/history-settled-in-batches.json";
  private static final String PAST_GRANT = "budget/history-settled-past-grant.json";
  private static PriceCatalog catalog;
  private static Jdbi jdbi;
  private TestWorkflowEnvironment env;
  private Budgets budgets;

  @BeforeAll
  static void database() {
    catalog = CatalogSource.bundledCatalog();
    jdbi = CostStore.jdbi(TestDatabase.fresh());
  }

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
  }

  private Worker worker(boolean tracked) {
    return worker(tracked, true);
  }

  private Worker worker(boolean tracked, boolean budgetsOn) {
    budgets = new Budgets(jdbi);
    TestEnvironmentOptions.Builder options = TestEnvironmentOptions.newBuilder();
    if (tracked) {
      CostTracking tracking =
          new CostTracking(
              CostTrackingOptions.newBuilder()
                  .setPricer(new Pricer(() -> catalog, false))
                  .setRecorder(new CostStore(jdbi))
                  .setBudgets(budgetsOn ? budgets : null)
                  .setSearchAttributes(budgetsOn)
                  .build());
      options.setWorkerFactoryOptions(
          WorkerFactoryOptions.newBuilder()
              .setWorkerInterceptors(tracking.workerInterceptor())
              .build());
    }
    env = TestWorkflowEnvironment.newInstance(options.build());
    CostSearchAttributes.ALL.forEach(env::registerSearchAttribute);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(
        BudgetedPipeline.StoryboardWorkflowImpl.class,
        BudgetedPipeline.ParallelStoryboardsImpl.class,
        BudgetedPipeline.RetakenStoryboardsImpl.class,
        RunTreeTest.CrewImpl.class);
    worker.registerActivitiesImplementations(
        new BudgetedPipeline.StudioImpl(tracked), budgets.checkActivity());
    return worker;
  }

  @Test
  void historyRecordedWithBudgetChecksReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(WITH_CHECKS, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historyThatFailedOnItsHardLimitReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(HARD_LIMIT, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historyRecordedWithSettlementsReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(SETTLED, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historyThatFailedOnItsHardLimitWithSettlementsReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(SETTLED_HARD_LIMIT, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historyRefusedBeforeRefusalsWereStoredReplaysWithoutStoringIt() throws Exception {
    Worker worker = worker(true);
    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(SETTLED_REFUSED, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historyThatStoredItsRefusalReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(REFUSED, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historySettledInTheWorkflowReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(IN_WORKFLOW, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historySettledWhereEachActivityCompletedReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(WHERE_COMPLETED, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void parallelHistorySettledWhereEachActivityCompletedReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(
            () ->
                WorkflowReplayer.replayWorkflowExecutionFromResource(
                    PARALLEL_WHERE_COMPLETED, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void treeHistorySettledWhereEachChildCompletedReplays() throws Exception {
    Worker worker = worker(true);
    // the parent names its children after its own workflow id, so the replay needs that id
    WorkflowExecutionHistory tree =
        new WorkflowExecutionHistory(
            history(TREE_WHERE_COMPLETED).getHistory(), "replay-tree-where-completed");
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecution(tree, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historySettledInBatchesReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(IN_BATCHES, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void historyWithAnAttemptPastItsGrantReplays() throws Exception {
    Worker worker = worker(true);
    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(PAST_GRANT, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void aSettleSignalIsWhatTheReplayDecidesOn() throws Exception {
    // guards the fixture: with the retry's signal renamed (so the run never sees it) the run would
    // hold the retake at its reservation and draw next instead of refusing, and so not replay
    Worker worker = worker(true);
    WorkflowExecutionHistory history = history(PAST_GRANT);
    List<io.temporal.api.history.v1.HistoryEvent> events = new java.util.ArrayList<>();
    for (var e : history.getEvents()) {
      if (e.hasWorkflowExecutionSignaledEventAttributes()) {
        e =
            e.toBuilder()
                .setWorkflowExecutionSignaledEventAttributes(
                    e.getWorkflowExecutionSignaledEventAttributes().toBuilder()
                        .setSignalName("not-" + BudgetGuard.SETTLE_SIGNAL))
                .build();
      }
      events.add(e);
    }
    assertThat(
            catchThrowable(
                () ->
                    WorkflowReplayer.replayWorkflowExecution(
                        new WorkflowExecutionHistory(
                            io.temporal.api.history.v1.History.newBuilder()
                                .addAllEvents(events)
                                .build(),
                            history.getWorkflowExecution().getWorkflowId()),
                        worker)))
        .as("replay of the history without its signal (the same history replays as recorded)")
        .isNotNull()
        .hasMessageContaining("sideEffect"); // the held retake's settlement meets another marker
  }

  @Test
  void aSettlementFromMemoryIsAMarkerTheReplayChecks() throws Exception {
    // guards the fixtures: without one of its side-effect markers, a history does not replay
    for (String settled :
        List.of(IN_WORKFLOW, WHERE_COMPLETED, PARALLEL_WHERE_COMPLETED, IN_BATCHES)) {
      assertThat(replayWithoutFirst(settled, Markers::sideEffect))
          .as("replay of %s without a settlement's marker", settled)
          .hasMessageContaining("NonDeterministicException");
    }
  }

  @Test
  void eachHistoryHoldsTheVersionOfTheChecksItWasRecordedWith() throws Exception {
    // guards the fixtures: the replays above exercise each way of settling only if the histories
    // took the versions that choose them
    assertThat(budgetCheckVersions(IN_WORKFLOW)).containsExactly("3");
    assertThat(budgetCheckVersions(WHERE_COMPLETED)).containsExactly("4");
    assertThat(budgetCheckVersions(PARALLEL_WHERE_COMPLETED)).containsExactly("4");
    assertThat(budgetCheckVersions(TREE_WHERE_COMPLETED)).containsExactly("4");
    assertThat(budgetCheckVersions(IN_BATCHES)).containsExactly("5");
    assertThat(budgetCheckVersions(PAST_GRANT)).containsExactly("5");
    assertThat(
            history(IN_BATCHES).getEvents().stream()
                .filter(e -> Markers.sideEffect(e) && !Markers.unanswered(e))
                .map(Markers::sideEffectData)
                .filter(d -> d.startsWith("["))
                .toList())
        .as("the two draws held, settled together once the third could not be reserved")
        .singleElement()
        .satisfies(d -> assertThat(d.split("\"activityUsd\"", -1)).hasSize(3));
    assertThat(failureMessage(IN_BATCHES)).startsWith("Refused before running");
    assertThat(
            history(PAST_GRANT).getEvents().stream()
                .filter(e -> e.hasWorkflowExecutionSignaledEventAttributes())
                .map(e -> e.getWorkflowExecutionSignaledEventAttributes().getSignalName())
                .toList())
        .containsExactly(BudgetGuard.SETTLE_SIGNAL);
    assertThat(failureMessage(PAST_GRANT)).startsWith("Refused before running");
    assertThat(
            history(TREE_WHERE_COMPLETED).getEvents().stream()
                .filter(e -> e.hasChildWorkflowExecutionCompletedEventAttributes())
                .count())
        .as("children that ended, each judged by the parent")
        .isEqualTo(2);
    assertThat(budgetCheckVersions(SETTLED)).containsExactly("2");
    assertThat(sideEffects(PARALLEL_WHERE_COMPLETED))
        .as("one settlement per storyboard, and the first type's expected cost")
        .isEqualTo(5);
    assertThat(failureMessage(PARALLEL_WHERE_COMPLETED)).isEmpty();
  }

  /** The versions the budget checks' marker recorded in a saved history. */
  private java.util.List<String> budgetCheckVersions(String name) throws Exception {
    return history(name).getEvents().stream()
        .filter(e -> BudgetGuard.CHANGE_ID.equals(Markers.changeId(e)))
        .map(Markers::version)
        .toList();
  }

  /**
   * Replays the saved history {@code resource} without the first event {@code drop} matches (ids
   * kept consecutive) on a worker with budgets on; what the replay threw.
   */
  private Throwable replayWithoutFirst(
      String resource, java.util.function.Predicate<io.temporal.api.history.v1.HistoryEvent> drop)
      throws Exception {
    Worker worker = worker(true);
    WorkflowExecutionHistory history = history(resource);
    List<io.temporal.api.history.v1.HistoryEvent> events = new java.util.ArrayList<>();
    boolean dropped = false;
    for (var e : history.getEvents()) {
      if (!dropped && drop.test(e)) {
        dropped = true;
        continue;
      }
      events.add(e.toBuilder().setEventId(events.size() + 1).build());
    }
    assertThat(dropped).as("an event of %s to drop", resource).isTrue();
    return catchThrowable(
        () ->
            WorkflowReplayer.replayWorkflowExecution(
                new WorkflowExecutionHistory(
                    io.temporal.api.history.v1.History.newBuilder().addAllEvents(events).build(),
                    history.getWorkflowExecution().getWorkflowId()),
                worker));
  }

  @Test
  void onlyTheNewestHistoriesSettleInTheWorkflow() throws Exception {
    // guards the fixtures: the older releases settled through local activities only
    for (String settled : List.of(IN_WORKFLOW, WHERE_COMPLETED)) {
      assertThat(sideEffects(settled)).as("settlements from memory in %s", settled).isPositive();
      assertThat(failureMessage(settled)).startsWith("Refused before running");
      assertThat(localActivities(settled)).contains(BudgetCheckActivity.REFUSED_TYPE);
    }
    for (String older : List.of(SETTLED, SETTLED_HARD_LIMIT, SETTLED_REFUSED, REFUSED)) {
      assertThat(sideEffects(older)).as(older).isZero();
    }
  }

  private long sideEffects(String name) throws Exception {
    return history(name).getEvents().stream().filter(Markers::sideEffect).count();
  }

  /** A saved history of the test resources. */
  private WorkflowExecutionHistory history(String resource) throws Exception {
    return WorkflowExecutionHistory.fromJson(json(resource));
  }

  private String json(String resource) throws Exception {
    return new String(getClass().getClassLoader().getResourceAsStream(resource).readAllBytes());
  }

  @Test
  void aStoredRefusalIsACommandTheReplayChecks() throws Exception {
    // guards the fixture: the same history without the refusal's record does not replay
    assertThat(
            replayWithoutFirst(
                REFUSED,
                e -> BudgetCheckActivity.REFUSED_TYPE.equals(Markers.localActivityType(e))))
        .as("replay of the history without the refusal's record")
        .hasMessageContaining("NonDeterministicException");
  }

  @Test
  void refusedHistoriesOfBothReleasesHoldTheirOwnMarkers() throws Exception {
    // the release before stored no refusal; this one stores it behind its own version marker
    assertThat(failureMessage(SETTLED_REFUSED)).startsWith("Refused before running");
    assertThat(failureMessage(REFUSED)).startsWith("Refused before running");
    assertThat(localActivities(SETTLED_REFUSED)).doesNotContain(BudgetCheckActivity.REFUSED_TYPE);
    assertThat(changeIds(SETTLED_REFUSED)).doesNotContain(BudgetGuard.REFUSAL_CHANGE_ID);
    assertThat(localActivities(REFUSED)).contains(BudgetCheckActivity.REFUSED_TYPE);
    assertThat(changeIds(REFUSED)).contains(BudgetGuard.REFUSAL_CHANGE_ID);
    assertThat(localActivities(SETTLED)).doesNotContain(BudgetCheckActivity.REFUSED_TYPE);
    assertThat(localActivities(SETTLED_HARD_LIMIT))
        .doesNotContain(BudgetCheckActivity.REFUSED_TYPE);
  }

  private String failureMessage(String name) throws Exception {
    for (var e : history(name).getEvents()) {
      if (e.hasWorkflowExecutionFailedEventAttributes()) {
        return e.getWorkflowExecutionFailedEventAttributes().getFailure().getMessage();
      }
    }
    return "";
  }

  /** The change ids of the version markers a saved history recorded. */
  private java.util.Set<String> changeIds(String name) throws Exception {
    return collect(name, Markers::changeId);
  }

  /** What {@code read} gives for the events of a saved history, nulls left out. */
  private java.util.Set<String> collect(
      String name,
      java.util.function.Function<io.temporal.api.history.v1.HistoryEvent, String> read)
      throws Exception {
    java.util.Set<String> values = new java.util.HashSet<>();
    for (var e : history(name).getEvents()) {
      String v = read.apply(e);
      if (v != null) {
        values.add(v);
      }
    }
    return values;
  }

  @Test
  void historiesOfBothReleasesHoldTheirOwnMarkers() throws Exception {
    // guards the fixtures: the older ones were checked after each activity, the newer settled
    assertThat(localActivities(WITH_CHECKS)).contains(BudgetCheckActivity.TYPE);
    assertThat(localActivities(WITH_CHECKS)).doesNotContain(BudgetCheckActivity.SETTLE_TYPE);
    assertThat(localActivities(SETTLED)).contains(BudgetCheckActivity.SETTLE_TYPE);
    assertThat(localActivities(SETTLED)).doesNotContain(BudgetCheckActivity.TYPE);
    assertThat(localActivities(SETTLED_HARD_LIMIT)).contains(BudgetCheckActivity.SETTLE_TYPE);
  }

  /** The types of the local activities a saved history recorded as markers. */
  private java.util.Set<String> localActivities(String name) throws Exception {
    return collect(name, Markers::localActivityType);
  }

  @Test
  void historyRecordedWithoutTheInterceptorReplaysWithIt() throws Exception {
    Worker worker = worker(true);
    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(WITHOUT_INTERCEPTOR, worker))
        .doesNotThrowAnyException();
  }

  @Test
  void turningBudgetsOffWhileCheckedRunsAreOpenBreaksTheirReplay() {
    // the documented limitation: checks and upserts are commands, so drain checked runs first
    Worker worker = worker(true, false);
    Throwable t =
        catchThrowable(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(WITH_CHECKS, worker));
    assertThat(t).hasMessageContaining("NonDeterministicException");
  }

  @Test
  void replayNoticesAChangedWorkflow() throws Exception {
    // guards the test itself: a replayer that accepted anything would prove nothing
    Worker worker = worker(true);
    String json = json(WITH_CHECKS).replace("\"Draw\"", "\"Paint\"");
    Throwable t =
        catchThrowable(
            () ->
                WorkflowReplayer.replayWorkflowExecution(
                    WorkflowExecutionHistory.fromJson(json), worker));
    assertThat(t).hasMessageContaining("Paint");
  }

  @Test
  @EnabledIfSystemProperty(named = "costwise.recordHistories", matches = "true")
  void recordHistories() throws Exception {
    Path dir = Path.of("src/test/resources/budget");
    Files.createDirectories(dir);

    // Only this release's histories are recorded here: a run whose two first draws are held
    // within their reservations and settled together once the third cannot be reserved, which is
    // refused and stored; and a run whose retried activity signals its run to settle it, after
    // which the draw it would have started next is refused. The others were recorded by their
    // releases and are kept as they are (regenerating them would test nothing):
    // history-with-checks and history-hard-limit by the release that checked after each activity,
    // history-without-interceptor without Costwise, history-settled, history-settled-hard-limit
    // and history-settled-refused by the release that reserved and settled but did not store
    // refusals, history-refused by the release that settled through a local activity only,
    // history-settled-in-workflow by the release that settled from memory in a workflow thread of
    // each activity's own, the three *-where-completed by the release that settled each activity
    // in the thread that completed it.
    worker(true);
    budgets.expect("Draw", new java.math.BigDecimal("0.48"));
    budgets.expect("Retake", new java.math.BigDecimal("0.48"));
    env.start();
    WorkflowClient client = env.getWorkflowClient();
    var refused =
        start(
            client,
            BudgetedPipeline.StoryboardWorkflow.class,
            "replay-in-batches",
            Map.of("costwise.budget", Map.of("hardUsd", "1.20")));
    catchThrowable(() -> refused.run(4, false));
    save(client, dir, "replay-in-batches", IN_BATCHES);
    var retaken =
        start(
            client,
            BudgetedPipeline.RetakenStoryboards.class,
            "replay-past-grant",
            Map.of("costwise.budget", Map.of("hardUsd", "1.20")));
    catchThrowable(retaken::run);
    save(client, dir, "replay-past-grant", PAST_GRANT);
  }

  private static <T> T start(
      WorkflowClient client, Class<T> type, String id, Map<String, Object> memo) {
    return client.newWorkflowStub(
        type,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).setMemo(memo).build());
  }

  private static void save(WorkflowClient client, Path dir, String workflowId, String resource)
      throws Exception {
    String json = client.fetchHistory(workflowId).toJson(true);
    Files.writeString(dir.resolve(Path.of(resource).getFileName()), json);
  }
}
