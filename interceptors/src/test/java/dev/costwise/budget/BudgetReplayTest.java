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
 * <p>Regenerate the JSON with {@code -Dcostwise.recordHistories=true -Dtest=BudgetReplayTest}.
 */
class BudgetReplayTest {
  private static final String QUEUE = "budget-replay";
  private static final String WITH_CHECKS = "budget/history-with-checks.json";
  private static final String HARD_LIMIT = "budget/history-hard-limit.json";
  private static final String WITHOUT_INTERCEPTOR = "budget/history-without-interceptor.json";
  private static PriceCatalog catalog;
  private static Jdbi jdbi;
  private TestWorkflowEnvironment env;

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
    Budgets budgets = new Budgets(jdbi);
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
    worker.registerWorkflowImplementationTypes(BudgetedPipeline.StoryboardWorkflowImpl.class);
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
    String json =
        new String(getClass().getClassLoader().getResourceAsStream(WITH_CHECKS).readAllBytes())
            .replace("\"Draw\"", "\"Paint\"");
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

    Worker tracked = worker(true);
    env.start();
    WorkflowClient client = env.getWorkflowClient();
    var ok =
        start(
            client,
            "replay-with-checks",
            Map.of("costwise.budget", Map.of("softUsd", "0.50", "hardUsd", "5.00")));
    ok.run(2, false);
    save(client, dir, "replay-with-checks", WITH_CHECKS);
    var hard =
        start(client, "replay-hard-limit", Map.of("costwise.budget", Map.of("hardUsd", "0.70")));
    catchThrowable(() -> hard.run(3, false));
    save(client, dir, "replay-hard-limit", HARD_LIMIT);
    env.close();

    Worker plain = worker(false);
    env.start();
    client = env.getWorkflowClient();
    var before = start(client, "replay-without-interceptor", Map.of());
    before.run(2, false);
    save(client, dir, "replay-without-interceptor", WITHOUT_INTERCEPTOR);
  }

  private static BudgetedPipeline.StoryboardWorkflow start(
      WorkflowClient client, String id, Map<String, Object> memo) {
    return client.newWorkflowStub(
        BudgetedPipeline.StoryboardWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).setMemo(memo).build());
  }

  private static void save(WorkflowClient client, Path dir, String workflowId, String resource)
      throws Exception {
    String json = client.fetchHistory(workflowId).toJson(true);
    Files.writeString(dir.resolve(Path.of(resource).getFileName()), json);
  }
}
