package dev.costwise.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.costwise.metrics.CostMetrics;
import dev.costwise.report.CostReports;
import dev.costwise.report.Dimension;
import dev.costwise.report.Period;
import dev.costwise.report.PeriodTotal;
import dev.costwise.store.CostStore;
import dev.costwise.temporal.CostBudget;
import dev.costwise.temporal.CostSearchAttributes;
import dev.costwise.temporal.CostTracking;
import dev.costwise.testing.Eventually;
import dev.costwise.testing.TestDatabase;
import dev.costwise.testing.TrackedTestEnvironment;
import dev.costwise.usage.CostUsage;
import dev.costwise.usage.Usage;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Budgets over trees and chains of runs, and reservations, on the Temporal test server with real
 * PostgreSQL: children and continued runs inherit tags and limits, every row knows its root, totals
 * roll up the tree, a limit on the root stops the tree, a chain carries its spend, and parallel
 * work under a cap is refused before it runs.
 */
class RunTreeTest {
  private static final String QUEUE = "run-tree";
  private static final BigDecimal DRAW = new BigDecimal("0.48"); // four HD 1024x1792 DALL-E 3

  private Jdbi jdbi;
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private Budgets budgets;
  private BudgetedPipeline.StudioImpl studio;
  private static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    jdbi = CostStore.jdbi(TestDatabase.fresh());
    budgets = new Budgets(jdbi, new CostMetrics(), List.of(), Clock.systemUTC());
    CostTracking tracking = BudgetedPipeline.tracking(jdbi, budgets);
    env = TrackedTestEnvironment.create(tracking);
    CostSearchAttributes.ALL.forEach(env::registerSearchAttribute);
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(
        CrewImpl.class,
        BudgetedPipeline.StoryboardWorkflowImpl.class,
        SessionImpl.class,
        GalleryImpl.class,
        TroupeImpl.class);
    studio = new BudgetedPipeline.StudioImpl();
    worker.registerActivitiesImplementations(studio, new SketchbookImpl(), budgets.checkActivity());
    env.start();
    client = env.getWorkflowClient();
    CALLS.clear();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  // ---- workflows

  @WorkflowInterface
  public interface Crew {
    /** Draws one storyboard, then starts {@code children} storyboard runs at once and waits. */
    @WorkflowMethod
    String run(int children, int drawsEach);
  }

  public static final class CrewImpl implements Crew {
    @Override
    public String run(int children, int drawsEach) {
      BudgetedPipeline.studio().draw(0);
      List<Promise<String>> runs = new ArrayList<>();
      for (int i = 1; i <= children; i++) {
        BudgetedPipeline.StoryboardWorkflow child = childStoryboard(i);
        runs.add(Async.function(child::run, drawsEach, false));
      }
      for (Promise<String> r : runs) {
        r.get();
      }
      return "crew of " + children;
    }
  }

  /** The stub of this run's storyboard child {@code i}, named after this run's workflow id. */
  static BudgetedPipeline.StoryboardWorkflow childStoryboard(int i) {
    return Workflow.newChildWorkflowStub(
        BudgetedPipeline.StoryboardWorkflow.class,
        ChildWorkflowOptions.newBuilder()
            .setWorkflowId(Workflow.getInfo().getWorkflowId() + "-child-" + i)
            .build());
  }

  @WorkflowInterface
  public interface Troupe {
    /**
     * Starts {@code children} storyboard runs at once, each drawing one storyboard and then holding
     * until released, and waits for them all.
     */
    @WorkflowMethod
    String run(int children);
  }

  public static final class TroupeImpl implements Troupe {
    @Override
    public String run(int children) {
      List<Promise<String>> runs = new ArrayList<>();
      for (int i = 1; i <= children; i++) {
        BudgetedPipeline.StoryboardWorkflow child = childStoryboard(i);
        runs.add(Async.function(child::run, 1, true));
      }
      for (Promise<String> r : runs) {
        r.get();
      }
      return "troupe of " + children;
    }
  }

  @WorkflowInterface
  public interface Session {
    /** Draws {@code perRun} storyboards, then continues as a new run until {@code turns} ran. */
    @WorkflowMethod
    String run(int turns, int perRun);
  }

  public static final class SessionImpl implements Session {
    @Override
    public String run(int turns, int perRun) {
      int now = Math.min(turns, perRun);
      for (int i = 1; i <= now; i++) {
        BudgetedPipeline.studio().draw(i);
      }
      if (turns > now) {
        Workflow.continueAsNew(turns - now, perRun);
      }
      return "session done";
    }
  }

  @ActivityInterface
  public interface Sketchbook {
    /** One sketch of {@code images} standard 1024x1024 DALL-E 3 images ($0.04 each). */
    String sketch(int images);
  }

  public static final class SketchbookImpl implements Sketchbook {
    @Override
    public String sketch(int images) {
      CALLS
          .computeIfAbsent(
              Activity.getExecutionContext().getInfo().getWorkflowId(), k -> new AtomicInteger())
          .incrementAndGet();
      CostUsage.record(
          Usage.of("openai", "dall-e-3").images(images, "1024x1024", "standard").build());
      return "sketch of " + images;
    }
  }

  @WorkflowInterface
  public interface Gallery {
    /**
     * Runs the given sketches (image counts) or, for negative counts, storyboards, all at once;
     * answers how many ran and how many were refused before running.
     */
    @WorkflowMethod
    String run(List<Integer> work);
  }

  public static final class GalleryImpl implements Gallery {
    @Override
    public String run(List<Integer> work) {
      Sketchbook book =
          Workflow.newActivityStub(
              Sketchbook.class,
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofSeconds(30))
                  .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                  .build());
      BudgetedPipeline.Studio studio = BudgetedPipeline.studio();
      List<Promise<String>> all = new ArrayList<>();
      for (int w : work) {
        all.add(w >= 0 ? Async.function(book::sketch, w) : Async.function(studio::draw, -w));
      }
      int ran = 0;
      int refused = 0;
      for (Promise<String> p : all) {
        try {
          p.get();
          ran++;
        } catch (ApplicationFailure e) {
          if (!BudgetExceeded.TYPE.equals(e.getType())
              || !e.getDetails().get(BudgetExceeded.Details.class).refused()) {
            throw e;
          }
          refused++;
        }
      }
      return "ran " + ran + ", refused " + refused;
    }
  }

  // ---- helpers

  private <T> T stub(Class<T> type, String id, Map<String, Object> memo) {
    return client.newWorkflowStub(
        type,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).setMemo(memo).build());
  }

  private static Map<String, Object> memo(String hardUsd, String tenant) {
    Map<String, Object> m = new java.util.HashMap<>();
    if (hardUsd != null) {
      m.put("costwise.budget", Map.of("hardUsd", hardUsd));
    }
    m.put("costwise.tags", Map.of("tenant", tenant));
    return m;
  }

  private BigDecimal stepsTotal(String sqlWhere, String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT COALESCE(SUM(cost_usd), 0) FROM cost_step WHERE priced AND " + sqlWhere)
                .bind("id", id)
                .mapTo(BigDecimal.class)
                .one());
  }

  private static BudgetExceeded.Details details(Throwable failed) {
    assertThat(failed).isInstanceOf(WorkflowFailedException.class);
    assertThat(failed.getCause()).isInstanceOf(ApplicationFailure.class);
    ApplicationFailure f = (ApplicationFailure) failed.getCause();
    assertThat(f.getType()).isEqualTo(BudgetExceeded.TYPE);
    return f.getDetails().get(BudgetExceeded.Details.class);
  }

  // ---- tests

  @Test
  void childrenInheritTagsAndTheParentSeesItsSubtree() {
    Crew crew = stub(Crew.class, "crew", memo(null, "acme"));
    assertThat(crew.run(3, 2)).isEqualTo("crew of 3");
    String root = WorkflowStub.fromTyped(crew).getExecution().getRunId();

    // every step row of the tree: the root's tenant, the root's run id
    List<Map<String, Object>> rows =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT s.tags->>'tenant' AS tenant, s.root_run_id, e.parent_run_id,"
                            + " s.run_id FROM cost_step s JOIN cost_execution e USING (run_id)"
                            + " WHERE e.root_run_id = :root")
                    .bind("root", root)
                    .mapToMap()
                    .list());
    assertThat(rows).hasSize(7); // the crew's storyboard and three children's two
    assertThat(rows).allSatisfy(r -> assertThat(r.get("tenant")).isEqualTo("acme"));
    assertThat(rows).allSatisfy(r -> assertThat(r.get("root_run_id")).isEqualTo(root));
    assertThat(rows.stream().filter(r -> !root.equals(r.get("run_id"))))
        .hasSize(6)
        .allSatisfy(r -> assertThat(r.get("parent_run_id")).isEqualTo(root));

    RunCost cost = WorkflowStub.fromTyped(crew).query(CostBudget.QUERY, RunCost.class);
    assertThat(cost.rootRunId()).isEqualTo(root);
    assertThat(cost.spentUsd()).isEqualByComparingTo(DRAW);
    BigDecimal tree = stepsTotal("root_run_id = :id", root);
    assertThat(tree).isEqualByComparingTo(DRAW.multiply(BigDecimal.valueOf(7)));
    assertThat(cost.subtreeSpentUsd()).isEqualByComparingTo(tree);
    assertThat(
            WorkflowStub.fromTyped(crew)
                .describe()
                .getTypedSearchAttributes()
                .get(CostSearchAttributes.COST_SUBTREE_USD))
        .isEqualTo(tree.doubleValue());

    // reports group by root run: the whole tree is one group
    java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
    List<PeriodTotal> byRoot =
        new CostReports(jdbi)
            .totals(Period.DAY, today.minusDays(1), today.plusDays(1), Dimension.ROOT_RUN);
    assertThat(byRoot)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.group()).isEqualTo(root);
              assertThat(t.costUsd()).isEqualByComparingTo(tree);
              assertThat(t.usageCount()).isEqualTo(7);
            });
  }

  @Test
  void aLimitOnTheRootStopsTheWholeTree() {
    budgets.expect("Draw", DRAW);
    Crew crew = stub(Crew.class, "capped-crew", memo("2.00", "acme"));
    Throwable failed = catchThrowable(() -> crew.run(3, 3));
    String root = WorkflowStub.fromTyped(crew).getExecution().getRunId();

    BudgetExceeded.Details d = details(failed);
    assertThat(d.limit()).as("the root fails on its own limit").isEqualTo("hard");
    assertThat(d.limitUsd()).isEqualByComparingTo("2.00");

    // a child stopped: its failure names the root's limit as a tree limit
    int stopped = 0;
    for (int i = 1; i <= 3; i++) {
      WorkflowStub child = client.newUntypedWorkflowStub("capped-crew-child-" + i);
      Throwable childFailed = catchThrowable(() -> child.getResult(String.class));
      if (childFailed != null) {
        BudgetExceeded.Details c = details(childFailed);
        assertThat(c.limit()).isEqualTo(BudgetExceeded.TREE + root);
        stopped++;
      }
    }
    assertThat(stopped).isPositive();

    // a child under its root's limit needs the tree's spend, which only the store has: it settles
    // through the local activity, without asking the worker's memory first
    List<String> childMarkers =
        client.fetchHistory("capped-crew-child-1").getEvents().stream()
            .map(Markers::name)
            .filter(java.util.Objects::nonNull)
            .toList();
    assertThat(childMarkers)
        .contains(BudgetCheckActivity.SETTLE_TYPE)
        .doesNotContain(Markers.SIDE_EFFECT);

    // what the tree spent: bounded by the limit plus what siblings could start concurrently on
    // what they last read (one expected draw each), and equal to its rows
    BigDecimal tree = stepsTotal("root_run_id = :id", root);
    assertThat(tree)
        .isLessThanOrEqualTo(new BigDecimal("2.00").add(DRAW.multiply(BigDecimal.valueOf(2))));
    assertThat(tree).isLessThan(DRAW.multiply(BigDecimal.valueOf(10))); // not all ten ran
    BigDecimal executions =
        jdbi.withHandle(
            h ->
                h.createQuery("SELECT SUM(cost_usd) FROM cost_execution WHERE root_run_id = :root")
                    .bind("root", root)
                    .mapTo(BigDecimal.class)
                    .one());
    assertThat(executions).isEqualByComparingTo(tree);

    // every run of the tree keeps the limits that cover it, though only the root's was crossed
    List<Map<String, Object>> rows =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT run_id, hard_limit_usd, CAST(tree_limits AS text) AS tree_limits"
                            + " FROM cost_execution WHERE root_run_id = :root OR run_id = :root")
                    .bind("root", root)
                    .mapToMap()
                    .list());
    assertThat(rows).hasSizeGreaterThan(1);
    for (Map<String, Object> row : rows) {
      if (row.get("run_id").equals(root)) {
        assertThat((BigDecimal) row.get("hard_limit_usd")).isEqualByComparingTo("2.00");
        assertThat(row.get("tree_limits")).isEqualTo("[]");
      } else {
        assertThat(row.get("hard_limit_usd")).as("a child has no limit of its own").isNull();
        assertThat(row.get("tree_limits"))
            .isEqualTo("[{\"runId\": \"" + root + "\", \"hardUsd\": \"2.00\"}]");
      }
    }
  }

  @Test
  void childrenInFlightHoldNoWorkflowThreadOfCostwise() throws Exception {
    // a child's end is judged by the thread that completes its result: while six children run,
    // the parent holds no workflow thread waiting for one (runs of the release before held one
    // per child, a real thread of the worker's bounded pool, for as long as the child ran)
    Troupe troupe = stub(Troupe.class, "troupe", memo("50.00", "acme"));
    WorkflowStub untyped = WorkflowStub.fromTyped(troupe);
    untyped.start(6);
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    for (int i = 1; i <= 6; i++) {
      String child = "troupe-child-" + i;
      Eventually.until(
          child + " drew its storyboard",
          Duration.ofNanos(until - System.nanoTime()),
          () -> studio.calls(child) > 0);
    }
    // each child holds once its draw is settled (its settlement, a local activity that reads the
    // tree's spend, is Costwise's own work in progress and would be found by the scan); a query
    // is answered after the workflow task in flight, so it sees the settled draw
    for (int i = 1; i <= 6; i++) {
      WorkflowStub child = client.newUntypedWorkflowStub("troupe-child-" + i);
      Eventually.until(
          "troupe-child-" + i + " settled its draw",
          Duration.ofNanos(until - System.nanoTime()),
          () -> child.query(CostBudget.QUERY, RunCost.class).spentUsd().compareTo(DRAW) == 0);
    }
    assertThat(BudgetedPipeline.threadsWaitingInCostwise())
        .as("workflow threads waiting in Costwise for a child")
        .isEmpty();
    for (int i = 1; i <= 6; i++) {
      client
          .newWorkflowStub(BudgetedPipeline.StoryboardWorkflow.class, "troupe-child-" + i)
          .release();
    }
    assertThat(untyped.getResult(String.class)).isEqualTo("troupe of 6");
    RunCost report = untyped.query(CostBudget.QUERY, RunCost.class);
    assertThat(report.subtreeSpentUsd()).as("six children's draws").isEqualByComparingTo("2.88");
  }

  @Test
  void aContinuedRunCarriesItsChainsSpendAndLimit() {
    budgets.expect("Draw", DRAW);
    Session session = stub(Session.class, "session", memo("2.00", "acme"));
    Throwable failed = catchThrowable(() -> session.run(6, 2));
    String first =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT run_id FROM cost_execution WHERE workflow_id = 'session'"
                            + " ORDER BY first_recorded_at LIMIT 1")
                    .mapTo(String.class)
                    .one());

    // two runs of two storyboards ($1.92); the third run's first would reach $2.40
    BudgetExceeded.Details d = details(failed);
    assertThat(d.refused()).isTrue();
    assertThat(d.limit()).isEqualTo("hard");
    assertThat(d.spentUsd()).as("the chain's spend, carried").isEqualByComparingTo("1.92");
    assertThat(stepsTotal("workflow_id = :id", "session")).isEqualByComparingTo("1.92");

    List<Map<String, Object>> runs =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT run_id, chain_run_id, root_run_id, cost_usd FROM cost_execution"
                            + " WHERE workflow_id = 'session'")
                    .mapToMap()
                    .list());
    assertThat(runs)
        .as(
            "two runs that spent, and the third, refused at its first draw, kept with nothing spent")
        .hasSize(3);
    assertThat(runs)
        .extracting(r -> ((BigDecimal) r.get("cost_usd")).stripTrailingZeros().toPlainString())
        .containsExactlyInAnyOrder("0.96", "0.96", "0");
    assertThat(runs).allSatisfy(r -> assertThat(r.get("chain_run_id")).isEqualTo(first));
    assertThat(runs).allSatisfy(r -> assertThat(r.get("root_run_id")).isEqualTo(first));

    RunCost last = client.newUntypedWorkflowStub("session").query(CostBudget.QUERY, RunCost.class);
    assertThat(last.spentUsd()).as("the last run spent nothing itself").isZero();
    assertThat(last.subtreeSpentUsd()).isEqualByComparingTo("1.92");
    assertThat(last.rootRunId()).isEqualTo(first);
  }

  @Test
  void parallelWorkUnderACapIsRefusedBeforeItRuns() {
    budgets.expect("Draw", DRAW);
    Gallery gallery = stub(Gallery.class, "parallel", memo("1.00", "acme"));
    // eight storyboards at once under $1.00: two fit
    assertThat(gallery.run(List.of(-1, -2, -3, -4, -5, -6, -7, -8))).isEqualTo("ran 2, refused 6");
    assertThat(stepsTotal("workflow_id = :id", "parallel")).isEqualByComparingTo("0.96");

    // the run went on, but it was refused work: one alert says so, stored by one local activity
    String runId = WorkflowStub.fromTyped(gallery).getExecution().getRunId();
    List<BudgetAlert> refusals =
        budgets.alerts().stream().filter(a -> a.runId().equals(runId) && a.refusal()).toList();
    assertThat(refusals)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.threshold()).isEqualTo("refused:hard");
              assertThat(a.activityType()).isEqualTo("Draw");
              assertThat(a.expectedUsd()).isEqualByComparingTo(DRAW);
              assertThat(a.limitUsd()).isEqualByComparingTo("1.00");
              assertThat(a.spentUsd())
                  .as("spent or reserved: the two draws that fit")
                  .isEqualByComparingTo("0.96");
            });
    long stored =
        client.fetchHistory("parallel").getEvents().stream()
            .filter(e -> BudgetCheckActivity.REFUSED_TYPE.equals(Markers.localActivityType(e)))
            .count();
    assertThat(stored).as("six refusals on one limit, stored once").isEqualTo(1);
  }

  @Test
  void anUnknownTypeIsReservedAtZeroAndSaid() {
    Gallery gallery = stub(Gallery.class, "unknown-type", memo("1.00", "acme"));
    assertThat(gallery.run(List.of(1, 1, 1))).isEqualTo("ran 3, refused 0");
    RunCost cost = WorkflowStub.fromTyped(gallery).query(CostBudget.QUERY, RunCost.class);
    assertThat(cost.notes())
        .anySatisfy(n -> assertThat(n).contains("No expected cost known for Sketch", "$0"));
    assertThat(cost.spentUsd()).isEqualByComparingTo("0.12");
  }

  @Test
  void historyGivesTheExpectedCost() {
    budgets.policy().historyRefresh(Duration.ZERO); // each run reads the history as it is now
    // five earlier galleries of sketches of 1 to 5 images: $0.04 to $0.20 per sketch
    for (int i = 1; i <= 5; i++) {
      assertThat(stub(Gallery.class, "history-" + i, memo(null, "acme")).run(List.of(i)))
          .isEqualTo("ran 1, refused 0");
    }
    List<BigDecimal> recorded =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "SELECT SUM(cost_usd) FROM cost_step WHERE activity_type = 'Sketch'"
                            + " GROUP BY run_id, activity_id ORDER BY 1")
                    .mapTo(BigDecimal.class)
                    .list());
    assertThat(recorded).hasSize(5);
    // the 95th percentile of five, nearest rank: the largest
    BigDecimal p95 = recorded.get((int) Math.ceil(0.95 * recorded.size()) - 1);
    assertThat(p95).isEqualByComparingTo("0.20");

    // under $0.50, three sketches expected at $0.20 each: two fit, the third is refused, although
    // each of these sketches costs only $0.04
    Gallery capped = stub(Gallery.class, "history-capped", memo("0.50", "acme"));
    assertThat(capped.run(List.of(1, 1, 1))).isEqualTo("ran 2, refused 1");
    RunCost cost = WorkflowStub.fromTyped(capped).query(CostBudget.QUERY, RunCost.class);
    assertThat(cost.notes()).noneSatisfy(n -> assertThat(n).contains("No expected cost"));
    assertThat(cost.spentUsd()).isEqualByComparingTo("0.08");
  }
}
