package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.temporal.CostFailures;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run whose memo holds limits or tags Costwise cannot use never runs uncapped and never wedges:
 * it fails at its start with a clear non-retryable error, or, when configured, runs with its type's
 * default limits and says so.
 */
class InvalidSettingsTest {
  private static final String QUEUE = "invalid-settings";
  private static PriceCatalog catalog;
  private static CostStore store;
  private static Jdbi jdbi;

  private TestWorkflowEnvironment env;
  private BudgetedPipeline.StudioImpl studio;
  private WorkflowClient client;

  @BeforeAll
  static void database() {
    catalog = CatalogSource.bundledCatalog();
    jdbi = CostStore.jdbi(TestDatabase.fresh());
    store = new CostStore(jdbi);
  }

  private void start(boolean failOnInvalid) {
    CostMetrics metrics = new CostMetrics();
    Budgets budgets = new Budgets(jdbi, metrics, List.of(), Clock.systemUTC());
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(new Pricer(() -> catalog, false))
                .setRecorder(store)
                .setMetrics(metrics)
                .setBudgets(budgets)
                .setDefaultLimits("StoryboardWorkflow", ExecutionLimits.of(null, "0.90"))
                .setFailOnInvalidSettings(failOnInvalid)
                .build());
    env = TrackedTestEnvironment.create(tracking);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(BudgetedPipeline.StoryboardWorkflowImpl.class);
    studio = new BudgetedPipeline.StudioImpl();
    worker.registerActivitiesImplementations(studio, budgets.checkActivity());
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  static Stream<Arguments> invalidMemos() {
    return Stream.of(
        Arguments.of(
            "soft-above-hard",
            Map.of("costwise.budget", Map.of("softUsd", "2.00", "hardUsd", "1.00")),
            "soft limit 2.00 is above hard limit 1.00"),
        Arguments.of(
            "negative",
            Map.of("costwise.budget", Map.of("hardUsd", "-1")),
            "hard limit must be positive"),
        Arguments.of(
            "nan",
            Map.of("costwise.budget", Map.of("hardUsd", "NaN")),
            "costwise.budget.hardUsd must be a decimal USD amount"),
        Arguments.of(
            "not-an-object", Map.of("costwise.budget", "2.00"), "must be an object such as"),
        Arguments.of(
            "unknown-key",
            Map.of("costwise.budget", Map.of("hard", "0.10")),
            "unknown key 'hard'; the keys are softUsd and hardUsd"),
        Arguments.of(
            "tags-a-list", Map.of("costwise.tags", List.of("acme")), "must be an object of tag"),
        Arguments.of(
            "tag-with-nul",
            Map.of("costwise.tags", Map.of("tenant", "acme\u0000corp")),
            "tag 'tenant' contains the control character U+0000"),
        Arguments.of(
            "tag-too-long",
            Map.of("costwise.tags", Map.of("tenant", "x".repeat(3_000))),
            "tag 'tenant' is 3000 characters long; at most 256"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidMemos")
  void aRunWithInvalidSettingsFailsAtItsStartNamingTheKeyAndTheProblem(
      String id, Map<String, Object> memo, String problem) {
    start(true);
    WorkflowStub wf =
        client.newUntypedWorkflowStub(
            "StoryboardWorkflow",
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowId("invalid-" + id)
                .setMemo(memo)
                .build());
    wf.start(3, false);

    Throwable failed = catchThrowable(() -> wf.getResult(30, TimeUnit.SECONDS, String.class));

    assertThat(failed).isInstanceOf(WorkflowFailedException.class);
    assertThat(failed.getCause()).isInstanceOf(ApplicationFailure.class);
    ApplicationFailure f = (ApplicationFailure) failed.getCause();
    assertThat(f.getType()).isEqualTo(CostFailures.INVALID_SETTINGS);
    assertThat(f.isNonRetryable()).isTrue();
    assertThat(f.getOriginalMessage()).contains(problem).hasSizeLessThan(700);
    assertThat(studio.calls("invalid-" + id)).as("nothing was spent").isZero();
    assertThat(store.steps(wf.getExecution().getRunId())).isEmpty();
  }

  @Test
  void configuredToGoOnARunWithInvalidLimitsIsCappedByItsTypesDefaultsAndSaysSo() {
    start(false);
    WorkflowStub wf =
        client.newUntypedWorkflowStub(
            "StoryboardWorkflow",
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowId("invalid-defaults")
                .setMemo(Map.of("costwise.budget", Map.of("softUsd", "5", "hardUsd", "1")))
                .build());
    wf.start(4, false);

    Throwable failed = catchThrowable(() -> wf.getResult(30, TimeUnit.SECONDS, String.class));

    // the type's default hard limit of $0.90 holds: the second $0.48 storyboard crosses it
    assertThat(failed).isInstanceOf(WorkflowFailedException.class);
    ApplicationFailure f = (ApplicationFailure) failed.getCause();
    assertThat(f.getType()).isEqualTo(BudgetExceeded.TYPE);
    assertThat(f.getDetails().get(BudgetExceeded.Details.class).limitUsd())
        .isEqualByComparingTo("0.90");
    assertThat(studio.calls("invalid-defaults")).isEqualTo(2);
    RunCost report = wf.query("cost", RunCost.class);
    assertThat(report.notes())
        .filteredOn(n -> n.startsWith("Invalid settings"))
        .singleElement()
        .asString()
        .contains("Invalid settings replaced by defaults", "soft limit 5 is above hard limit 1");
  }
}
