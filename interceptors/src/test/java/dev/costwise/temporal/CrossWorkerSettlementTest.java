package dev.costwise.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.budget.BudgetCheckActivity;
import dev.costwise.budget.RunCost;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.testing.TestDatabase;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import dev.costwise.usage.UsageReporting;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's workflow on one worker, its model calls on another that writes behind (its journal makes
 * a cost durable; PostgreSQL gets it about half a second later): the run's own figures, and so its
 * hard limit, still count every call, because settling waits for the call's completed attempt to be
 * stored. Likewise a call that failed on a worker writing behind: its settlement reads the store,
 * after that worker's journal reached it.
 */
class CrossWorkerSettlementTest {
  private static final String WORKFLOWS = "settle-workflows";
  private static final String CALLS = "settle-calls";

  @TempDir Path dir;
  private TestWorkflowEnvironment env;
  private final List<CostwisePlugin> plugins = new ArrayList<>();
  private final List<WorkerFactory> factories = new ArrayList<>();

  /** A model call that reports its usage. */
  @ActivityInterface
  public interface Calls {
    @ActivityMethod(name = "CrossWorkerCall")
    Reply call(int step);
  }

  /** The call's result, carrying its usage. */
  public record Reply(List<Usage> usage) implements UsageReporting {}

  /** The calls' implementation. */
  public static final class CallsImpl implements Calls {
    @Override
    public Reply call(int step) {
      return new Reply(List.of(usage(step)));
    }
  }

  static Usage usage(int step) {
    return Usage.of("openai", "gpt-4o").inputTokens(1_000 + step).outputTokens(400).build();
  }

  /** A model call that reports its usage, then fails for good. */
  @ActivityInterface
  public interface FailingCalls {
    @ActivityMethod(name = "FailingCall")
    Reply call(int step);
  }

  /** Its implementation. */
  public static final class FailingCallsImpl implements FailingCalls {
    @Override
    public Reply call(int step) {
      CostUsage.record(usage(step));
      throw ApplicationFailure.newNonRetryableFailure("the reply was unusable", "Unusable");
    }
  }

  /** One call that fails, caught; the run goes on and completes. */
  @WorkflowInterface
  public interface OneFailedCall {
    @WorkflowMethod(name = "CrossWorkerOneFailedCall")
    String run();
  }

  /** The workflow. */
  public static final class OneFailedCallImpl implements OneFailedCall {
    private final FailingCalls calls =
        Workflow.newActivityStub(
            FailingCalls.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(30))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());

    @Override
    public String run() {
      try {
        calls.call(7);
        return "replied";
      } catch (ActivityFailure e) {
        return "failed";
      }
    }
  }

  /** Three calls in sequence, on the calls' task queue. */
  @WorkflowInterface
  public interface ThreeCalls {
    @WorkflowMethod(name = "CrossWorkerThreeCalls")
    int run();
  }

  /** The workflow. */
  public static final class ThreeCallsImpl implements ThreeCalls {
    private final Calls calls =
        Workflow.newActivityStub(
            Calls.class,
            ActivityOptions.newBuilder()
                .setTaskQueue(CALLS)
                .setStartToCloseTimeout(Duration.ofSeconds(30))
                .build());

    @Override
    public int run() {
      for (int i = 0; i < 3; i++) {
        calls.call(i);
      }
      return 3;
    }
  }

  private Worker worker(WorkflowClient client, CostwisePlugin plugin, String queue) {
    WorkerFactory factory =
        WorkerFactory.newInstance(
            client,
            WorkerFactoryOptions.newBuilder()
                .setWorkerInterceptors(plugin.tracking().workerInterceptor())
                .build());
    factories.add(factory);
    return factory.newWorker(queue);
  }

  @AfterEach
  void stop() {
    factories.forEach(WorkerFactory::shutdownNow);
    if (env != null) {
      env.close();
    }
    plugins.forEach(CostwisePlugin::close);
  }

  @Test
  void aRunCountsACallThatFailedOnItsOwnWorkerWritingBehind() {
    DataSource db = TestDatabase.fresh();
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    WorkflowClient client = env.getWorkflowClient();
    CostwisePlugin plugin =
        CostwisePlugin.newBuilder(db)
            .setDataDirectory(dir.resolve("one"))
            .setExpectedCost("FailingCall", "0.01")
            .setWriteBehind(Duration.ofSeconds(1)) // the database gets the call ~1 s late
            .build();
    plugins.add(plugin);
    Worker worker = worker(client, plugin, WORKFLOWS);
    worker.registerWorkflowImplementationTypes(OneFailedCallImpl.class);
    worker.registerActivitiesImplementations(
        new FailingCallsImpl(), plugin.budgets().checkActivity());
    factories.forEach(WorkerFactory::start);

    WorkflowOptions.Builder options =
        WorkflowOptions.newBuilder().setTaskQueue(WORKFLOWS).setWorkflowId("failed-call");
    CostwiseRun.limits("5.00", "10.00").applyTo(options);
    OneFailedCall run = client.newWorkflowStub(OneFailedCall.class, options.build());
    assertThat(run.run()).isEqualTo("failed");

    // a failed activity is settled from the store (memory cannot know it ran nowhere else): the
    // settlement waits for this worker's journal to reach PostgreSQL
    BigDecimal expected = Pricer.of(CatalogSource.bundledCatalog()).price(usage(7)).total();
    RunCost cost = WorkflowStub.fromTyped(run).query(CostBudget.QUERY, RunCost.class);
    assertThat(cost.spentUsd())
        .as("the failed call was billed (notes: %s)", cost.notes())
        .isEqualByComparingTo(expected);
    assertThat(cost.notes()).isEmpty();
  }

  @Test
  void aRunCountsEveryCallAnotherWorkerWroteBehind() {
    DataSource db = TestDatabase.fresh();
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    WorkflowClient client = env.getWorkflowClient();
    CostwisePlugin workflowSide =
        CostwisePlugin.newBuilder(db)
            .setDataDirectory(dir.resolve("workflows"))
            .setExpectedCost("CrossWorkerCall", "0.01")
            .build();
    CostwisePlugin callSide =
        CostwisePlugin.newBuilder(db)
            .setDataDirectory(dir.resolve("calls"))
            .setBudgets(false)
            .setWriteBehind(Duration.ofMillis(500)) // the database gets each call ~0.5 s late
            .build();
    plugins.add(workflowSide);
    plugins.add(callSide);
    Worker workflows = worker(client, workflowSide, WORKFLOWS);
    workflows.registerWorkflowImplementationTypes(ThreeCallsImpl.class);
    workflows.registerActivitiesImplementations(workflowSide.budgets().checkActivity());
    worker(client, callSide, CALLS).registerActivitiesImplementations(new CallsImpl());
    factories.forEach(WorkerFactory::start);

    WorkflowOptions.Builder options =
        WorkflowOptions.newBuilder().setTaskQueue(WORKFLOWS).setWorkflowId("cross-worker");
    CostwiseRun.limits("5.00", "10.00").applyTo(options);
    ThreeCalls run = client.newWorkflowStub(ThreeCalls.class, options.build());
    long t0 = System.nanoTime();
    assertThat(run.run()).isEqualTo(3);
    System.out.printf("run took %d ms%n", (System.nanoTime() - t0) / 1_000_000);

    Pricer pricer = Pricer.of(CatalogSource.bundledCatalog());
    BigDecimal expected = BigDecimal.ZERO;
    for (int i = 0; i < 3; i++) {
      expected = expected.add(pricer.price(usage(i)).total());
    }
    RunCost cost = WorkflowStub.fromTyped(run).query(CostBudget.QUERY, RunCost.class);
    assertThat(cost.spentUsd())
        .as("the run's own figure, from its settlements (notes: %s)", cost.notes())
        .isEqualByComparingTo(expected);
    assertThat(cost.notes()).as("no settlement gave up waiting").isEmpty();
    assertThat(
            client.fetchHistory("cross-worker").getEvents().stream()
                .filter(
                    e ->
                        e.hasMarkerRecordedEventAttributes()
                            && e.getMarkerRecordedEventAttributes()
                                .toString()
                                .contains(BudgetCheckActivity.SETTLE_ALL_TYPE))
                .count())
        .as("the three calls, each within its reservation, settled from the store together")
        .isEqualTo(1);
    String runId = WorkflowStub.fromTyped(run).getExecution().getRunId();
    assertThat(callSide.recorder().awaitWritten(Duration.ofSeconds(10))).isTrue();
    assertThat(workflowSide.store().execution(runId).orElseThrow().costUsd())
        .isEqualByComparingTo(expected);
  }
}
