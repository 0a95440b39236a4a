package dev.costwise.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.budget.BudgetPeriod;
import dev.costwise.budget.BudgetScope;
import dev.costwise.budget.PeriodBudget;
import dev.costwise.budget.Threshold;
import dev.costwise.temporal.CostwisePlugin;
import dev.costwise.temporal.CostwiseRun;
import dev.costwise.usage.Usage;
import dev.costwise.usage.UsageReporting;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What tracking and budgets cost a worker's activity throughput. N workflows each run K activities
 * one after another (with {@code -Dcostwise.fanOut=true}: all K at once); an activity does nothing
 * but report one model call's usage. The same load runs on workers of one process, each on its own
 * task queue over the same in-process Temporal test server and one embedded PostgreSQL with durable
 * commits (fsync and synchronous commit on), reached through a HikariCP pool as a production worker
 * is. Each tracked worker installs its {@code CostwisePlugin} through {@code
 * WorkerFactoryOptions.setPlugins}, as a user does, so its runs upsert the cost search attributes
 * the plugin registers:
 *
 * <ul>
 *   <li>{@code off}: no Costwise at all;
 *   <li>{@code on}: the plugin's tracking, budgets off;
 *   <li>{@code budgets}: tracking with budgets on, every run under its own hard limit and a period
 *       budget covering its workflow type (limits high enough never to be reached, so every run
 *       does the same work).
 * </ul>
 *
 * Modes are alternated round by round (the starting mode rotates), so a noisy machine affects each
 * alike; the report is activities per second per mode and each round's ratio to {@code off}, as
 * median [min–max]. Each mode's round starts a test server and workers of its own (untimed), so no
 * round pays for the test server's bookkeeping of the rounds before it (see {@code
 * -Dcostwise.sharedServer}); the JVM, its compiled code and the database stay warm across rounds.
 *
 * <p>Warm-up rounds run, unreported, for at least {@code -Dcostwise.warmupSeconds} (default 60) and
 * then until the JIT has settled: until the compilers' time in each of the last two rotations
 * through every mode is at most {@code -Dcostwise.jitSettledPercent} (default 5) percent of its
 * wall time (their elapsed time, which counts their waits for a core too), or {@code
 * -Dcostwise.maxWarmupSeconds} (default 900) have passed. A fixed minute is not enough: on two busy
 * cores the compilers were still taking 0.3–0.6 ms of CPU per activity of the tracked modes after
 * it (Temporal's server and SDK, gRPC and Costwise are a lot of code, and the compile queue
 * competes with the load), which is warm-up, not what tracking costs a running worker.
 *
 * <p>Run: {@code ./mvnw -Pbenchmarks -pl benchmarks -am package -DskipTests && java -cp
 * benchmarks/target/benchmarks.jar dev.costwise.bench.TrackingOverhead [workflows] [activities]
 * [rounds] [modes]} (defaults 40, 20, 6 measured rounds, all modes).
 */
public final class TrackingOverhead {
  private static final String[] ALL_MODES = {"off", "on", "budgets", "on-behind", "budgets-behind"};
  private static final Duration WRITE_BEHIND =
      Duration.ofMillis(Long.getLong("costwise.writeBehindMillis", 10));
  private static final Duration WARM_UP =
      Duration.ofSeconds(Long.getLong("costwise.warmupSeconds", 60));
  private static final Duration MAX_WARM_UP =
      Duration.ofSeconds(Long.getLong("costwise.maxWarmupSeconds", 900));
  private static final double JIT_SETTLED =
      Double.parseDouble(System.getProperty("costwise.jitSettledPercent", "5")) / 100;
  private static String[] MODES = ALL_MODES;

  /**
   * Whether each mode's round runs on a test server of its own (default) rather than all rounds on
   * one. The test server keeps a log of its clock's lock events that only grows (by about four
   * entries per activity, whether tracked or not) and scans it on every unlock, so on a shared
   * server its CPU per activity grows with every round already run.
   */
  private static final boolean FRESH_SERVER = !Boolean.getBoolean("costwise.sharedServer");

  private static final Map<String, List<double[]>> CPU = new LinkedHashMap<>();
  private static final Map<String, List<Map<String, Double>>> THREADS = new LinkedHashMap<>();
  // per mode: events, markers and search-attribute upserts in one run's history
  private static final Map<String, int[]> HISTORY = new LinkedHashMap<>();

  private TrackingOverhead() {}

  /** An activity that reports one model call's usage and does nothing else. */
  @ActivityInterface
  public interface Call {
    @ActivityMethod(name = "Call")
    Reply call(int step);
  }

  /** The activity's result, carrying its usage. */
  public record Reply(List<Usage> usage) implements UsageReporting {}

  /** The activity's implementation. */
  public static final class CallImpl implements Call {
    @Override
    public Reply call(int step) {
      return new Reply(
          List.of(
              Usage.of("openai", "gpt-4o-mini").inputTokens(400).outputTokens(100 + step).build()));
    }
  }

  /** K calls in sequence. */
  @WorkflowInterface
  public interface Steps {
    @WorkflowMethod(name = "OverheadSteps")
    int run(int steps);
  }

  /** The workflow. */
  public static final class StepsImpl implements Steps {
    private final Call call = callStub();

    @Override
    public int run(int steps) {
      int done = 0;
      for (int i = 0; i < steps; i++) {
        call.call(i);
        done++;
      }
      return done;
    }
  }

  /** The activity stub both workflows call through. */
  static Call callStub() {
    return Workflow.newActivityStub(
        Call.class,
        ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());
  }

  /** The same K calls, all at once (the run waits for every one). */
  @WorkflowInterface
  public interface FanOut {
    @WorkflowMethod(name = "OverheadFanOut")
    int run(int steps);
  }

  /** The fan-out workflow. */
  public static final class FanOutImpl implements FanOut {
    private final Call call = callStub();

    @Override
    public int run(int steps) {
      List<io.temporal.workflow.Promise<Reply>> calls = new ArrayList<>();
      for (int i = 0; i < steps; i++) {
        calls.add(io.temporal.workflow.Async.function(call::call, i));
      }
      io.temporal.workflow.Promise.allOf(calls).get();
      return calls.size();
    }
  }

  /**
   * Whether each run calls its K activities all at once ({@code -Dcostwise.fanOut=true}) rather
   * than one after another.
   */
  private static final boolean FAN_OUT = Boolean.getBoolean("costwise.fanOut");

  private static String workflowType() {
    return FAN_OUT ? "OverheadFanOut" : "OverheadSteps";
  }

  public static void main(String[] args) throws Exception {
    int workflows = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int activities = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int measured = args.length > 2 ? Integer.parseInt(args[2]) : 6;
    if (measured < 1) {
      throw new IllegalArgumentException("rounds must be at least 1, was " + measured);
    }
    if (args.length > 3) {
      MODES = args[3].split(",");
      if (!MODES[0].equals("off") || !List.of(ALL_MODES).containsAll(List.of(MODES))) {
        throw new IllegalArgumentException(
            "modes must start with off and be among " + List.of(ALL_MODES));
      }
    }
    Path data = Files.createTempDirectory("costwise-overhead");
    try (EmbeddedPostgres postgres =
        EmbeddedPostgres.builder()
            .setServerConfig("fsync", "on")
            .setServerConfig("synchronous_commit", "on")
            .setServerConfig("full_page_writes", "on")
            .start()) {
      // a pool, as a production worker is given (a new connection per read would dominate)
      HikariConfig pool = new HikariConfig();
      pool.setDataSource(postgres.getPostgresDatabase());
      pool.setMaximumPoolSize(10);
      HikariDataSource ds = new HikariDataSource(pool);
      Map<String, CostwisePlugin> plugins = new LinkedHashMap<>();
      for (String mode : MODES) {
        CostwisePlugin plugin = plugin(ds, data, mode);
        if (plugin != null) {
          plugins.put(mode, plugin);
        }
      }
      // a plugin stops when the last worker factory it serves stops; an idle factory on a server
      // of its own keeps each one running across rounds, as a worker process keeps it running
      TestWorkflowEnvironment anchor = TestWorkflowEnvironment.newInstance();
      List<WorkerFactory> anchors = new ArrayList<>();
      for (CostwisePlugin plugin : plugins.values()) {
        WorkerFactory idle =
            WorkerFactory.newInstance(
                anchor.getWorkflowClient(),
                WorkerFactoryOptions.newBuilder().setPlugins(plugin).build());
        idle.start();
        anchors.add(idle);
      }
      try (CostwisePlugin setup =
          CostwisePlugin.newBuilder(ds)
              .setDataDirectory(data.resolve("setup"))
              .setBudgets(true)
              .build()) {
        setup
            .budgets()
            .create(
                new PeriodBudget(
                    "overhead-daily",
                    BudgetPeriod.DAILY,
                    BudgetScope.workflowType(workflowType()),
                    new BigDecimal("1000000"),
                    List.of(Threshold.parse("80:notify"), Threshold.parse("100:block"))));
      }
      Workers shared = FRESH_SERVER ? null : new Workers(plugins, MODES);
      Map<String, List<Double>> rates = new LinkedHashMap<>();
      Map<String, List<Double>> ratios = new LinkedHashMap<>();
      for (String mode : MODES) {
        rates.put(mode, new ArrayList<>());
        ratios.put(mode, new ArrayList<>());
      }
      long warmStart = System.nanoTime();
      long warmUntil = warmStart + WARM_UP.toNanos();
      long warmAtMost = warmStart + MAX_WARM_UP.toNanos();
      java.lang.management.CompilationMXBean jit =
          java.lang.management.ManagementFactory.getCompilationMXBean();
      int warmUps = 0;
      int settledRounds = 0; // warm-up rounds in a row with the JIT under its share
      double warmedSeconds = 0;
      double warmedJit = 0; // the JIT's share of the last warm-up round
      int rounds = Integer.MAX_VALUE;
      for (int round = 0; round < rounds; round++) {
        boolean warmUp = rounds == Integer.MAX_VALUE;
        long roundStart = System.nanoTime();
        long compiledBefore = jit.getTotalCompilationTime();
        Map<String, Double> thisRound = new LinkedHashMap<>();
        for (int m = 0; m < MODES.length; m++) {
          String mode = MODES[(m + round) % MODES.length];
          if (shared != null) {
            thisRound.put(mode, run(shared.client, mode, workflows, activities, warmUp));
          } else {
            try (Workers fresh = new Workers(plugins, mode)) {
              thisRound.put(mode, run(fresh.client, mode, workflows, activities, warmUp));
            }
          }
        }
        // one round runs every mode once: the JIT's share of it is comparable round to round
        double jitShare =
            (jit.getTotalCompilationTime() - compiledBefore)
                / ((System.nanoTime() - roundStart) / 1e6);
        System.out.printf(
            Locale.ROOT,
            "round %d%s: %s, JIT %.0f%% of the round%n",
            round,
            warmUp ? " (warm-up)" : "",
            thisRound.entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s %.0f/s", e.getKey(), e.getValue()))
                .toList(),
            jitShare * 100);
        if (warmUp) {
          warmUps++;
          long now = System.nanoTime();
          settledRounds = jitShare <= JIT_SETTLED ? settledRounds + 1 : 0;
          if (now >= warmAtMost || (now >= warmUntil && settledRounds >= 2)) {
            rounds = round + 1 + measured;
            warmedSeconds = (now - warmStart) / 1e9;
            warmedJit = jitShare;
          }
          continue;
        }
        for (String mode : MODES) {
          rates.get(mode).add(thisRound.get(mode));
          ratios.get(mode).add(thisRound.get(mode) / thisRound.get("off"));
        }
      }
      System.out.printf(
          Locale.ROOT,
          "%n%d workflows x %d activities%s, %d rounds after %d warm-up rounds (%.0f s, the last"
              + " with the JIT at %.1f%% of its wall time), %d cores, load %s%n",
          workflows,
          activities,
          FAN_OUT ? " (all at once)" : " (one after another)",
          measured,
          warmUps,
          warmedSeconds,
          warmedJit * 100,
          Runtime.getRuntime().availableProcessors(),
          Files.readString(Path.of("/proc/loadavg")).trim());
      for (String mode : MODES) {
        System.out.printf(
            Locale.ROOT,
            "%-8s activities/s %s   ratio to off %s%n",
            mode,
            spread(rates.get(mode), "%.0f"),
            spread(ratios.get(mode), "%.2f"));
      }
      System.out.println(
          "CPU per activity (ms, median of the rounds after warm-up): JVM (worker, test server,"
              + " client) / PostgreSQL / share of all cores busy");
      for (String mode : MODES) {
        List<double[]> c = CPU.get(mode);
        System.out.printf(
            Locale.ROOT,
            "%-8s %.2f / %.2f / %.0f%%%n",
            mode,
            median(c, 0),
            median(c, 1),
            median(c, 2) * 100);
      }
      cpuBound();
      System.out.printf(
          Locale.ROOT,
          "History of one run of %d activities: events / markers / search-attribute upserts%n",
          activities);
      for (String mode : MODES) {
        int[] c = HISTORY.get(mode);
        System.out.printf(Locale.ROOT, "%-15s %d / %d / %d%n", mode, c[0], c[1], c[2]);
      }
      System.out.println(
          "JVM CPU per activity by thread (ms, median of the rounds after warm-up):");
      for (String mode : MODES) {
        List<Map<String, Double>> rows = THREADS.get(mode);
        java.util.Set<String> groups = new java.util.TreeSet<>();
        rows.forEach(r -> groups.addAll(r.keySet()));
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-15s", mode));
        for (String g : groups) {
          double med =
              median(rows.stream().mapToDouble(r -> r.getOrDefault(g, 0.0)).sorted().toArray());
          line.append(String.format(Locale.ROOT, " %s %.2f;", g, med));
        }
        System.out.println(line);
      }
      if (shared != null) {
        shared.close();
      }
      anchors.forEach(WorkerFactory::shutdownNow);
      plugins.values().forEach(CostwisePlugin::close);
      anchor.close();
      ds.close();
    }
  }

  /** The plugin of a tracked mode, as a user builds it; {@code null} for {@code off}. */
  private static CostwisePlugin plugin(javax.sql.DataSource ds, Path data, String mode) {
    if (mode.equals("off")) {
      return null;
    }
    CostwisePlugin.Builder plugin =
        CostwisePlugin.newBuilder(ds)
            .setDataDirectory(data.resolve(mode))
            .setBudgets(mode.startsWith("budgets"));
    if (mode.endsWith("-behind")) {
      plugin.setWriteBehind(WRITE_BEHIND);
    }
    return plugin.build();
  }

  /**
   * An in-process test server with one worker per mode, each on its own task queue, each tracked
   * mode's {@code CostwisePlugin} installed through {@code WorkerFactoryOptions.setPlugins} as a
   * user installs it (the plugin registers its interceptors, the budget service and the search
   * attributes, which its runs then upsert). Closing stops the workers and the server; the plugins
   * keep running.
   */
  private static final class Workers implements AutoCloseable {
    final TestWorkflowEnvironment env;
    final WorkflowClient client;
    private final List<WorkerFactory> factories = new ArrayList<>();

    Workers(Map<String, CostwisePlugin> plugins, String... modes) {
      // a production server does not skip time; the test server's time-skipping locks cost CPU
      // that grows with the activities in flight, which would charge its own bookkeeping to
      // whichever mode keeps activities running longest
      env =
          TestWorkflowEnvironment.newInstance(
              TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
      client = env.getWorkflowClient();
      for (String mode : modes) {
        WorkerFactoryOptions.Builder options = WorkerFactoryOptions.newBuilder();
        CostwisePlugin plugin = plugins.get(mode);
        if (plugin != null) {
          options.setPlugins(plugin);
        }
        WorkerFactory factory = WorkerFactory.newInstance(client, options.build());
        Worker worker = factory.newWorker("overhead-" + mode);
        worker.registerWorkflowImplementationTypes(StepsImpl.class, FanOutImpl.class);
        worker.registerActivitiesImplementations(new CallImpl());
        factory.start();
        if (plugin != null && !plugin.searchAttributesEnabled()) {
          throw new IllegalStateException("the plugin did not register its search attributes");
        }
        factories.add(factory);
      }
    }

    @Override
    public void close() {
      factories.forEach(WorkerFactory::shutdownNow);
      factories.forEach(f -> f.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
      env.close();
    }
  }

  /** CPU seconds so far of this JVM and of every PostgreSQL process (Linux; 0 elsewhere). */
  static double[] cpuSeconds() {
    double jvm = procCpu(Path.of("/proc/self/stat"), false);
    double pg = 0;
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path d : dirs.toList()) {
        String name = d.getFileName().toString();
        if (name.chars().allMatch(Character::isDigit)) {
          try {
            if (Files.readString(d.resolve("comm")).trim().equals("postgres")) {
              pg += procCpu(d.resolve("stat"), true);
            }
          } catch (java.io.IOException gone) {
            // the process ended while being read
          }
        }
      }
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return new double[] {jvm, 0};
    }
    return new double[] {jvm, pg};
  }

  /**
   * CPU nanoseconds so far of each live thread of this JVM, by thread id, with the thread's kind.
   * Threads that end during a round take their CPU with them, so the per-kind figures are lower
   * bounds (the JVM total, read from {@code /proc}, counts everything).
   */
  private static Map<Long, Map.Entry<String, Long>> threadCpu() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<Long, Map.Entry<String, Long>> threads = new java.util.HashMap<>();
    for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long nanos = mx.getThreadCpuTime(info.getThreadId());
      if (nanos > 0) {
        threads.put(info.getThreadId(), Map.entry(group(info.getThreadName()), nanos));
      }
    }
    // the JIT compilers and the garbage collector are not Java threads: read them from /proc,
    // keyed by negative task ids so they never meet a Java thread id
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : tasks.toList()) {
        try {
          String name = Files.readString(t.resolve("comm")).trim();
          String group =
              name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")
                  ? "jit"
                  : name.startsWith("GC Thread") || name.startsWith("G1 ") ? "gc" : null;
          if (group != null) {
            long nanos = (long) (procCpu(t.resolve("stat"), false) * 1e9);
            threads.put(-Long.parseLong(t.getFileName().toString()), Map.entry(group, nanos));
          }
        } catch (java.io.IOException | NumberFormatException gone) {
          // the thread ended while being read
        }
      }
    } catch (java.io.IOException | UnsupportedOperationException notLinux) {
      // per-thread CPU of native threads is only known on Linux
    }
    return threads;
  }

  private static String group(String thread) {
    if (thread.startsWith("costwise-cost-writer")) {
      return "writers";
    }
    if (thread.startsWith("costwise-")) {
      return "costwise-other";
    }
    if (thread.startsWith("Activity Executor")) {
      return "activities";
    }
    if (thread.startsWith("Local Activity")) {
      return "local-activities";
    }
    if (thread.startsWith("workflow-thread") || thread.startsWith("Workflow Executor")) {
      return "workflows";
    }
    if (thread.startsWith("grpc-") || thread.contains("Timer")) {
      return "server";
    }
    if (thread.startsWith("HikariPool") || thread.startsWith("PostgreSQL")) {
      return "pool";
    }
    return "other";
  }

  private static double procCpu(Path stat, boolean reaped) {
    try {
      String s = Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      if (reaped) {
        ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
      }
      return ticks / 100.0; // USER_HZ is 100 on Linux
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
  }

  private static double run(
      WorkflowClient client, String mode, int workflows, int activities, boolean warmUp)
      throws InterruptedException {
    List<WorkflowStub> stubs = new ArrayList<>();
    long start = System.nanoTime();
    double[] cpuBefore = cpuSeconds();
    Map<Long, Map.Entry<String, Long>> threadsBefore = threadCpu();
    for (int i = 0; i < workflows; i++) {
      WorkflowOptions.Builder options =
          WorkflowOptions.newBuilder()
              .setTaskQueue("overhead-" + mode)
              .setWorkflowId("overhead-" + mode + "-" + UUID.randomUUID());
      if (mode.startsWith("budgets")) {
        CostwiseRun.limits("500.00", "1000.00").applyTo(options);
      }
      WorkflowStub stub = client.newUntypedWorkflowStub(workflowType(), options.build());
      stub.start(activities);
      stubs.add(stub);
    }
    for (WorkflowStub stub : stubs) {
      int done = stub.getResult(Integer.class);
      if (done != activities) {
        throw new IllegalStateException(mode + ": a run did " + done + " of " + activities);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double[] cpuAfter = cpuSeconds();
    int n = workflows * activities;
    Map<Long, Map.Entry<String, Long>> threadsAfter = threadCpu();
    Map<String, Double> perGroup = new java.util.TreeMap<>();
    threadsAfter.forEach(
        (id, after) -> {
          Map.Entry<String, Long> before = threadsBefore.get(id);
          long nanos = after.getValue() - (before == null ? 0 : before.getValue());
          perGroup.merge(after.getKey(), nanos / 1e6 / n, Double::sum);
        });
    if (warmUp) {
      return n / seconds;
    }
    if (!HISTORY.containsKey(mode)) {
      // read after the round is timed: what one run wrote to its history (deterministic)
      int[] counts = new int[3];
      for (var e : client.fetchHistory(stubs.get(0).getExecution().getWorkflowId()).getEvents()) {
        counts[0]++;
        counts[1] += e.hasMarkerRecordedEventAttributes() ? 1 : 0;
        counts[2] += e.hasUpsertWorkflowSearchAttributesEventAttributes() ? 1 : 0;
      }
      HISTORY.put(mode, counts);
    }
    THREADS.computeIfAbsent(mode, k -> new ArrayList<>()).add(perGroup);
    CPU.computeIfAbsent(mode, k -> new ArrayList<>())
        .add(
            new double[] {
              (cpuAfter[0] - cpuBefore[0]) * 1000 / n,
              (cpuAfter[1] - cpuBefore[1]) * 1000 / n,
              (cpuAfter[0] - cpuBefore[0] + cpuAfter[1] - cpuBefore[1])
                  / seconds
                  / Runtime.getRuntime().availableProcessors()
            });
    return n / seconds;
  }

  /**
   * Prints, per tracked mode, the ratio its CPU per activity predicts (each round: {@code off}'s
   * CPU, JVM and PostgreSQL, over the mode's; when the cores are busy in every mode, this is close
   * to the measured ratio and the benchmark is bound by CPU, not by waits), the CPU the mode adds
   * per activity, and what a ratio of 0.9 and of 0.85 would leave it.
   */
  private static void cpuBound() {
    System.out.println(
        "CPU ratio to off (each round: off's CPU per activity over the mode's, JVM and PostgreSQL),"
            + " and the CPU per activity the mode adds against what ratios of 0.9 and 0.85 allow:");
    List<double[]> off = CPU.get("off");
    double offMedian = median(off.stream().mapToDouble(r -> r[0] + r[1]).sorted().toArray());
    for (String mode : MODES) {
      if (mode.equals("off")) {
        continue;
      }
      List<double[]> c = CPU.get(mode);
      List<Double> predicted = new ArrayList<>();
      double[] added = new double[c.size()];
      for (int i = 0; i < c.size(); i++) {
        double offCpu = off.get(i)[0] + off.get(i)[1];
        double modeCpu = c.get(i)[0] + c.get(i)[1];
        predicted.add(offCpu / modeCpu);
        added[i] = modeCpu - offCpu;
      }
      Arrays.sort(added);
      System.out.printf(
          Locale.ROOT,
          "%-15s cpu ratio %s; adds %.3f ms (0.9 allows %.3f, 0.85 allows %.3f)%n",
          mode,
          spread(predicted, "%.2f"),
          median(added),
          offMedian / 9,
          offMedian * 0.15 / 0.85);
    }
  }

  private static double median(List<double[]> rows, int column) {
    return median(rows.stream().mapToDouble(r -> r[column]).sorted().toArray());
  }

  /** The median of sorted values. */
  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static String spread(List<Double> values, String format) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return String.format(Locale.ROOT, format, median(v))
        + " ["
        + String.format(Locale.ROOT, format, v[0])
        + "–"
        + String.format(Locale.ROOT, format, v[v.length - 1])
        + "] "
        + Arrays.toString(
            values.stream().map(x -> String.format(Locale.ROOT, format, x)).toArray());
  }
}
