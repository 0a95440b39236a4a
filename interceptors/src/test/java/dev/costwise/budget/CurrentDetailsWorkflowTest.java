package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.temporal.CostwiseRun;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.sdk.v1.WorkflowMetadata;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A run's current details (what the Web UI shows and the SDK's metadata query returns) follow its
 * spend, and a run started with an estimate names it in its static summary; on the Temporal test
 * server with Costwise registered, real PostgreSQL.
 */
class CurrentDetailsWorkflowTest {
  private static final String QUEUE = "details-test";
  private static final String METADATA_QUERY = "__temporal_workflow_metadata";
  private static PriceCatalog catalog;
  private static Jdbi jdbi;

  private TestWorkflowEnvironment env;
  private WorkflowClient client;

  @BeforeAll
  static void database() {
    catalog = CatalogSource.bundledCatalog();
    jdbi = CostStore.jdbi(TestDatabase.fresh());
  }

  private void start(boolean budgetsOn) {
    CostMetrics metrics = CostMetrics.boundTo(new SimpleMeterRegistry());
    Budgets budgets = new Budgets(jdbi, metrics, List.of(), Clock.systemUTC());
    CostTrackingOptions.Builder options =
        CostTrackingOptions.newBuilder()
            .setPricer(new Pricer(() -> catalog, false))
            .setRecorder(new CostStore(jdbi))
            .setMetrics(metrics);
    if (budgetsOn) {
      options.setBudgets(budgets);
    }
    env = TrackedTestEnvironment.create(new CostTracking(options.build()));
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(
        BudgetedPipeline.StoryboardWorkflowImpl.class, OwnDetailsImpl.class);
    worker.registerActivitiesImplementations(
        new BudgetedPipeline.StudioImpl(), budgets.checkActivity());
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    if (env != null) {
      env.close();
    }
  }

  private BudgetedPipeline.StoryboardWorkflow stub(String id, CostwiseRun settings) {
    return client.newWorkflowStub(
        BudgetedPipeline.StoryboardWorkflow.class,
        settings
            .applyTo(WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id))
            .build());
  }

  @Test
  void currentDetailsFollowTheSpendAndNameTheEstimate() {
    start(true);
    var wf =
        stub(
            "details-run",
            CostwiseRun.limits("0.50", "5.00")
                .tag("tenant", "details-co")
                .estimate("est-details-1", new BigDecimal("1.20")));
    WorkflowClient.start(wf::run, 2, true);
    WorkflowStub untyped = WorkflowStub.fromTyped(wf);

    eventually(
        "both storyboards are checked",
        () ->
            untyped.query(CostBudget.QUERY, RunCost.class).spentUsd().signum() > 0
                && details(untyped).contains("$0.9600"));
    RunCost cost = untyped.query(CostBudget.QUERY, RunCost.class);
    String details = details(untyped);
    assertThat(details)
        .startsWith("**Cost " + people(cost.spentUsd()) + "** · " + cost.status().name())
        .contains("soft $0.5000", "hard $5.00")
        .contains("Estimate est-details-1: $1.20 expected, " + percent(cost.spentUsd(), "1.20"))
        .contains("Models: dall-e-3 " + people(cost.byModel().get("dall-e-3")))
        .contains("Activities: Draw " + people(cost.byActivity().get("Draw")));
    assertThat(cost.status()).isEqualTo(BudgetStatus.WARNING);
    assertThat(details.length()).isLessThan(600);

    wf.release();
    assertThat(untyped.getResult(String.class)).isEqualTo("drew 2");
    assertThat(details(untyped)).as("a closed run still answers, from replay").isEqualTo(details);

    assertThat(staticSummary(untyped)).isEqualTo("Costwise estimate est-details-1: $1.20");
  }

  @Test
  void aRunWithBudgetsOffShowsDetailsOnlyWhenThereIsSomethingToSay() {
    start(false);
    var plain = stub("details-plain", CostwiseRun.tags(java.util.Map.of("tenant", "a")));
    plain.run(1, false);
    assertThat(details(WorkflowStub.fromTyped(plain))).as("no misleading $0").isEmpty();

    var estimated =
        stub(
            "details-estimated",
            CostwiseRun.tags(java.util.Map.of("tenant", "a"))
                .estimate("est-off-1", new BigDecimal("0.25")));
    estimated.run(1, false);
    assertThat(details(WorkflowStub.fromTyped(estimated)))
        .startsWith("**Cost tracked by Costwise** · budget checks off")
        .contains("Estimate est-off-1: $0.2500 expected")
        .doesNotContain("% spent");
  }

  @Test
  void detailsTheWorkflowSetsItselfAreLeftAlone() {
    start(true);
    OwnDetails wf =
        client.newWorkflowStub(
            OwnDetails.class,
            CostwiseRun.limits("0.50", "5.00")
                .applyTo(WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("own"))
                .build());
    assertThat(wf.run()).isEqualTo("drew");
    WorkflowStub stub = WorkflowStub.fromTyped(wf);
    assertThat(stub.query(CostBudget.QUERY, RunCost.class).spentUsd()).isPositive();
    assertThat(details(stub)).isEqualTo("drawing the *one* storyboard");
  }

  @io.temporal.workflow.WorkflowInterface
  public interface OwnDetails {
    @io.temporal.workflow.WorkflowMethod
    String run();
  }

  /** Sets its own current details, then spends. */
  public static final class OwnDetailsImpl implements OwnDetails {
    private final BudgetedPipeline.Studio studio = BudgetedPipeline.studio();

    @Override
    public String run() {
      io.temporal.workflow.Workflow.setCurrentDetails("drawing the *one* storyboard");
      studio.draw(1);
      return "drew";
    }
  }

  private static String details(WorkflowStub stub) {
    return stub.query(METADATA_QUERY, WorkflowMetadata.class).getCurrentDetails();
  }

  private String staticSummary(WorkflowStub stub) {
    Payload summary =
        client
            .getWorkflowServiceStubs()
            .blockingStub()
            .describeWorkflowExecution(
                DescribeWorkflowExecutionRequest.newBuilder()
                    .setNamespace(client.getOptions().getNamespace())
                    .setExecution(stub.getExecution())
                    .build())
            .getExecutionConfig()
            .getUserMetadata()
            .getSummary();
    return DefaultDataConverter.STANDARD_INSTANCE.fromPayload(summary, String.class, String.class);
  }

  /** An amount as people read it in the summary: cents from a dollar up, else 4 decimals. */
  private static String people(BigDecimal v) {
    return "$" + v.setScale(v.abs().compareTo(BigDecimal.ONE) >= 0 ? 2 : 4, RoundingMode.HALF_UP);
  }

  private static String percent(BigDecimal spent, String expected) {
    return spent
            .multiply(BigDecimal.valueOf(100))
            .divide(new BigDecimal(expected), 0, RoundingMode.HALF_UP)
        + "% spent";
  }

  private static void eventually(String what, BooleanSupplier condition) {
    dev.costwise.testing.Eventually.until(what, Duration.ofSeconds(10), condition);
  }
}
