package dev.costwise.budget;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.PriceCatalog;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.CostStore;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostTracking;
import dev.costwise.temporal.CostTrackingOptions;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;

/** Test workflows whose every step costs $0.48: four HD 1024x1792 DALL-E 3 images at $0.12. */
final class BudgetedPipeline {
  private BudgetedPipeline() {}

  @WorkflowInterface
  public interface StoryboardWorkflow {
    /** Draws {@code steps} storyboards one after another; with {@code hold}, waits for release. */
    @WorkflowMethod
    String run(int steps, boolean hold);

    @SignalMethod
    void release();
  }

  @WorkflowInterface
  public interface GatedStoryboards {
    /** Draws one storyboard, waits for {@link #release}, then draws another. */
    @WorkflowMethod
    String run();

    @SignalMethod
    void release();
  }

  @WorkflowInterface
  public interface CataloguedStoryboards {
    /**
     * Draws {@code steps} storyboards one after another; a workflow type of its own, so that its
     * draws add nothing to the history other tests reserve from.
     */
    @WorkflowMethod
    String run(int steps);
  }

  @WorkflowInterface
  public interface BatchedStoryboards {
    /** As {@link CataloguedStoryboards}, under a workflow type of its own. */
    @WorkflowMethod
    String run(int steps);
  }

  @WorkflowInterface
  public interface UnderestimatedStoryboards {
    /** As {@link CataloguedStoryboards}, under a workflow type of its own. */
    @WorkflowMethod
    String run(int steps);
  }

  @WorkflowInterface
  public interface RetakenStoryboards {
    /**
     * Retakes storyboard 1 (its first attempt spends, then fails; the retry spends again and
     * completes), then draws storyboard 2.
     */
    @WorkflowMethod
    String run();
  }

  @WorkflowInterface
  public interface ParallelStoryboards {
    /** Draws {@code n} storyboards at once, then one more. */
    @WorkflowMethod
    String run(int n);
  }

  @WorkflowInterface
  public interface WideStoryboards {
    /**
     * As {@link ParallelStoryboards}, under a workflow type of its own, so that its draws add
     * nothing to the history other tests reserve from.
     */
    @WorkflowMethod
    String run(int n);
  }

  @WorkflowInterface
  public interface ContinuingStoryboards {
    /**
     * The first run ({@code first}) starts storyboard 1, waits for {@link #release} and continues
     * as new without waiting for the draw; the next run waits for another release, draws storyboard
     * 2 when {@code drawNext}, and returns.
     */
    @WorkflowMethod
    String run(boolean first, boolean drawNext);

    @SignalMethod
    void release();
  }

  @WorkflowInterface
  public interface AbandoningStoryboards {
    /**
     * Starts a storyboard in a cancellation scope and cancels the scope at once, then draws one
     * more; returns whether the first was canceled and what the second drew.
     */
    @WorkflowMethod
    String run();
  }

  @WorkflowInterface
  public interface CarefulStoryboards {
    /**
     * Draws one storyboard, then asks the budget before a step estimated at {@code estimateUsd}.
     */
    @WorkflowMethod
    String run(String estimateUsd);
  }

  @WorkflowInterface
  public interface NotingWorkflow {
    /** Notes the start (an activity that spends nothing), then draws one storyboard. */
    @WorkflowMethod
    String run();
  }

  @ActivityInterface
  public interface Studio {
    String draw(int n);

    /** Spends nothing; configured as unchecked. */
    String note(String text);

    /** Spends what a draw spends, then fails on its first attempt; completes on a later one. */
    String retake(int n);
  }

  /** Counts calls per workflow id, so a test can tell an activity never ran. */
  static final class StudioImpl implements Studio {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final boolean reportsUsage;

    /**
     * When set, each draw from number {@link #gateFrom} on waits for it to open before it spends.
     */
    volatile java.util.concurrent.CountDownLatch gate;

    /** The first draw number the {@link #gate} holds. */
    volatile int gateFrom = 1;

    /** When positive, draw {@code n} takes {@code n} times this long, so results arrive apart. */
    volatile long staggerMillis;

    /** A studio that reports usage, as activities do once Costwise is installed. */
    StudioImpl() {
      this(true);
    }

    /** With {@code reportsUsage} false, the activity as it was before Costwise. */
    StudioImpl(boolean reportsUsage) {
      this.reportsUsage = reportsUsage;
    }

    int calls(String workflowId) {
      AtomicInteger n = calls.get(workflowId);
      return n == null ? 0 : n.get();
    }

    @Override
    public String draw(int n) {
      calls
          .computeIfAbsent(
              Activity.getExecutionContext().getInfo().getWorkflowId(), k -> new AtomicInteger())
          .incrementAndGet();
      java.util.concurrent.CountDownLatch g = gate;
      try {
        if (g != null && n >= gateFrom && !g.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
        if (staggerMillis > 0) {
          Thread.sleep(n * staggerMillis);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (reportsUsage) {
        CostUsage.record(Usage.of("openai", "dall-e-3").images(4, "1024x1792", "hd").build());
      }
      return "storyboard " + n;
    }

    @Override
    public String retake(int n) {
      var info = Activity.getExecutionContext().getInfo();
      calls
          .computeIfAbsent(info.getWorkflowId() + "/retake", k -> new AtomicInteger())
          .incrementAndGet();
      CostUsage.record(Usage.of("openai", "dall-e-3").images(4, "1024x1792", "hd").build());
      if (info.getAttempt() == 1) {
        throw ApplicationFailure.newFailure("the first take came out blurred", "Blurred");
      }
      return "storyboard " + n + " retaken";
    }

    @Override
    public String note(String text) {
      calls
          .computeIfAbsent(
              Activity.getExecutionContext().getInfo().getWorkflowId() + "/note",
              k -> new AtomicInteger())
          .incrementAndGet();
      return text;
    }
  }

  /**
   * Live threads waiting in Costwise's workflow interceptors, by name and frame: a frame of the
   * budget guard, or of a lambda of the outbound interceptor (where a thread started for an
   * activity or child waits for its result). A workflow's own thread blocked in workflow code has
   * neither.
   */
  static List<String> threadsWaitingInCostwise() {
    List<String> found = new ArrayList<>();
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              for (StackTraceElement frame : stack) {
                String c = frame.getClassName();
                if (c.startsWith("dev.costwise.temporal.internal.BudgetGuard")
                    || (c.startsWith("dev.costwise.temporal.internal.CostWorkflowOutbound")
                        && frame.getMethodName().startsWith("lambda$"))) {
                  found.add(thread.getName() + " at " + frame);
                  break;
                }
              }
            });
    return found;
  }

  /**
   * Tracking with budgets as the budget tests install it: the bundled prices, the store as the
   * recorder, search attributes on.
   */
  static CostTracking tracking(Jdbi jdbi, Budgets budgets) {
    PriceCatalog catalog = CatalogSource.bundledCatalog();
    return new CostTracking(
        CostTrackingOptions.newBuilder()
            .setPricer(new Pricer(() -> catalog, false))
            .setRecorder(new CostStore(jdbi))
            .setBudgets(budgets)
            .setSearchAttributes(true)
            .build());
  }

  static Studio studio() {
    return studio(RetryOptions.newBuilder().setMaximumAttempts(1).build());
  }

  private static Studio studio(RetryOptions retries) {
    return Workflow.newActivityStub(
        Studio.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofSeconds(30))
            .setRetryOptions(retries)
            .build());
  }

  public static final class StoryboardWorkflowImpl implements StoryboardWorkflow {
    private final Studio studio = studio();
    private boolean released;

    @Override
    public String run(int steps, boolean hold) {
      for (int i = 1; i <= steps; i++) {
        studio.draw(i);
      }
      if (hold) {
        Workflow.await(() -> released);
      }
      return "drew " + steps;
    }

    @Override
    public void release() {
      released = true;
    }
  }

  public static final class GatedStoryboardsImpl implements GatedStoryboards {
    private final Studio studio = studio();
    private boolean released;

    @Override
    public String run() {
      studio.draw(1);
      Workflow.await(() -> released);
      studio.draw(2);
      return "drew 2";
    }

    @Override
    public void release() {
      released = true;
    }
  }

  public static final class ContinuingStoryboardsImpl implements ContinuingStoryboards {
    private final Studio studio = studio();
    private boolean released;

    @Override
    public String run(boolean first, boolean drawNext) {
      if (first) {
        Async.function(studio::draw, 1);
        Workflow.await(() -> released);
        Workflow.continueAsNew(false, drawNext);
      }
      Workflow.await(() -> released);
      return drawNext ? "continued, " + studio.draw(2) : "continued";
    }

    @Override
    public void release() {
      released = true;
    }
  }

  public static final class CataloguedStoryboardsImpl implements CataloguedStoryboards {
    private final Studio studio = studio();

    @Override
    public String run(int steps) {
      return drawInTurn(studio, steps);
    }
  }

  public static final class BatchedStoryboardsImpl implements BatchedStoryboards {
    private final Studio studio = studio();

    @Override
    public String run(int steps) {
      return drawInTurn(studio, steps);
    }
  }

  public static final class UnderestimatedStoryboardsImpl implements UnderestimatedStoryboards {
    private final Studio studio = studio();

    @Override
    public String run(int steps) {
      return drawInTurn(studio, steps);
    }
  }

  public static final class RetakenStoryboardsImpl implements RetakenStoryboards {
    private final Studio studio = studio();
    private final Studio retrying =
        studio(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofMillis(100))
                .setMaximumAttempts(2)
                .build());

    @Override
    public String run() {
      String first = retrying.retake(1);
      return first + ", then " + studio.draw(2);
    }
  }

  public static final class ParallelStoryboardsImpl implements ParallelStoryboards {
    private final Studio studio = studio();

    @Override
    public String run(int n) {
      return drawAtOnce(studio, n);
    }
  }

  public static final class WideStoryboardsImpl implements WideStoryboards {
    private final Studio studio = studio();

    @Override
    public String run(int n) {
      return drawAtOnce(studio, n);
    }
  }

  /** Draws {@code steps} storyboards one after another. */
  private static String drawInTurn(Studio studio, int steps) {
    for (int i = 1; i <= steps; i++) {
      studio.draw(i);
    }
    return "drew " + steps;
  }

  /** Draws {@code n} storyboards at once, then one more. */
  private static String drawAtOnce(Studio studio, int n) {
    List<Promise<String>> boards = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      boards.add(Async.function(studio::draw, i));
    }
    Promise.allOf(boards).get();
    for (Promise<String> b : boards) {
      b.get();
    }
    studio.draw(n + 1);
    return "drew " + (n + 1);
  }

  public static final class AbandoningStoryboardsImpl implements AbandoningStoryboards {
    private final Studio studio = studio();

    @Override
    public String run() {
      List<Promise<String>> first = new ArrayList<>();
      CancellationScope scope =
          Workflow.newCancellationScope(() -> first.add(Async.function(studio::draw, 1)));
      scope.run();
      scope.cancel();
      String outcome;
      try {
        outcome = "not canceled: " + first.get(0).get();
      } catch (ActivityFailure e) {
        outcome = e.getCause() instanceof CanceledFailure ? "canceled" : "failed";
      }
      return outcome + ", then " + studio.draw(2);
    }
  }

  public static final class NotingWorkflowImpl implements NotingWorkflow {
    private final Studio studio = studio();

    @Override
    public String run() {
      studio.note("start");
      return studio.draw(1);
    }
  }

  public static final class CarefulStoryboardsImpl implements CarefulStoryboards {
    private final Studio studio = studio();

    @Override
    public String run(String estimateUsd) {
      studio.draw(1);
      try {
        CostBudget.check(new BigDecimal(estimateUsd));
      } catch (ApplicationFailure e) {
        return "skipped: " + e.getType();
      }
      studio.draw(2);
      return "drew 2";
    }
  }
}
