package dev.costwise.testing;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.store.StepRow;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a piece of activity code as one real activity attempt on the Temporal test server, with
 * Costwise's interceptor, the bundled catalog and a fresh PostgreSQL database; for tests that check
 * what an SDK integration stores without any Costwise call in the activity code.
 */
public final class ActivityHarness implements AutoCloseable {
  private static final String QUEUE = "activity-harness";
  private static final Map<String, Callable<String>> BODIES = new ConcurrentHashMap<>();

  private final TestWorkflowEnvironment env;
  private final CostStore store;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private ActivityHarness() {
    store = new CostStore(CostStore.jdbi(TestDatabase.fresh()));
    CostTracking tracking =
        new CostTracking(
            CostTrackingOptions.newBuilder()
                .setPricer(new Pricer(CatalogSource::bundledCatalog, false))
                .setRecorder(store)
                .setMetrics(CostMetrics.boundTo(registry))
                .build());
    env = TrackedTestEnvironment.create(tracking);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(OneCallWorkflowImpl.class);
    worker.registerActivitiesImplementations(new CallImpl());
    env.start();
  }

  /** A started test server with a worker for {@link #run}. */
  public static ActivityHarness start() {
    return new ActivityHarness();
  }

  /**
   * Runs {@code body} as the activity of a new workflow {@code workflowId} (one attempt, no
   * Temporal retry) and returns the run id once the workflow finished.
   */
  public String run(String workflowId, Callable<String> body) {
    BODIES.put(workflowId, body);
    try {
      OneCallWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  OneCallWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue(QUEUE)
                      .setWorkflowId(workflowId)
                      .build());
      wf.run();
      return WorkflowStub.fromTyped(wf).getExecution().getRunId();
    } finally {
      BODIES.remove(workflowId);
    }
  }

  /** The rows stored for {@code runId}, in order. */
  public List<StepRow> steps(String runId) {
    return store.steps(runId);
  }

  /** The store the interceptor writes to. */
  public CostStore store() {
    return store;
  }

  /** The meters Costwise counted into. */
  public SimpleMeterRegistry registry() {
    return registry;
  }

  /** Sum of counter {@code name} over every tag set. */
  public double count(String name) {
    return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  @Override
  public void close() {
    env.close();
  }

  /** The workflow: one activity. */
  @WorkflowInterface
  public interface OneCallWorkflow {
    /** Runs the activity once. */
    @WorkflowMethod
    String run();
  }

  /** The activity: runs the body registered for its workflow. */
  @ActivityInterface
  public interface Call {
    /** Runs the body. */
    @ActivityMethod(name = "Call")
    String call();
  }

  /** Workflow implementation. */
  public static final class OneCallWorkflowImpl implements OneCallWorkflow {
    private final Call call =
        Workflow.newActivityStub(
            Call.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(60))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());

    @Override
    public String run() {
      return call.call();
    }
  }

  static final class CallImpl implements Call {
    @Override
    public String call() {
      String id = Activity.getExecutionContext().getInfo().getWorkflowId();
      Callable<String> body = BODIES.get(id);
      if (body == null) {
        throw new IllegalStateException("no activity body registered for " + id);
      }
      try {
        return body.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw Activity.wrap(e);
      }
    }
  }
}
