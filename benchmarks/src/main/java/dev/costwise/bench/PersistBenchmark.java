package dev.costwise.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostRecorder;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.store.ResilientRecorder;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Step rows persisted per second into a real (embedded, durable commits) PostgreSQL through a
 * HikariCP pool, as the worker runs it, each a new step of one of {@code runs} executions. {@code
 * direct}: {@link CostStore#record}, one transaction per attempt. {@code grouped}: {@link
 * ResilientRecorder}, as the worker uses it, where concurrent activities share commits; every call
 * still returns only once its step is durable. 32 threads stand for 32 activities finishing at once
 * (a worker runs up to 200 by default). Target: at least 10,000 steps per second on 2 cores.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
@Threads(32)
@State(Scope.Benchmark)
public class PersistBenchmark {
  /** Executions the steps are spread over; few runs means more contention on the totals row. */
  @Param({"1000"})
  public int runs;

  @Param({"direct", "grouped"})
  public String writer;

  /** Writer threads of the grouped recorder (the worker uses {@link ResilientRecorder#WRITERS}). */
  @Param({"2"})
  public int writers;

  private EmbeddedPostgres postgres;
  private HikariDataSource ds;
  private CostRecorder recorder;
  private Path spool;
  private List<PricedUsage> lines;
  private final AtomicLong sequence = new AtomicLong();

  @Setup(Level.Trial)
  public void start() throws IOException {
    // durable commits, as a production server runs (the embedded default turns them off for tests)
    postgres =
        EmbeddedPostgres.builder()
            .setServerConfig("fsync", "on")
            .setServerConfig("synchronous_commit", "on")
            .start();
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
    pool.addDataSourceProperty("reWriteBatchedInserts", "true");
    pool.setMaximumPoolSize(40);
    ds = new HikariDataSource(pool);
    CostSchema.migrate(ds);
    CostStore store = new CostStore(CostStore.jdbi(ds));
    Pricer pricer = Pricer.of(CatalogSource.bundledCatalog());
    Usage usage = Usage.of("openai", "gpt-4o").inputTokens(1_200).outputTokens(300).build();
    lines = List.of(new PricedUsage(usage, pricer.price(usage)));
    // one write before timing: the statements' first parse and the partitions' check happen here,
    // not in the first batches a 2 s record deadline applies to
    store.record(
        new AttemptCost(
            new AttemptContext(
                "default", "wf-warm", "Bench", "warm", "act-0", "Chat", 1, "bench", Instant.now()),
            Outcome.COMPLETED,
            lines,
            Map.of("tenant", "t0"),
            Instant.now()));
    spool = Files.createTempFile("costwise-bench", ".jsonl");
    recorder =
        writer.equals("direct")
            ? store
            : new ResilientRecorder(
                store,
                spool,
                3,
                Duration.ofMillis(50),
                (a, e, spooled) -> {
                  throw new IllegalStateException("write failed in benchmark", e);
                },
                ResilientRecorder.DEFAULT_MAX_BATCH,
                ResilientRecorder.DEFAULT_MAX_WAIT,
                writers);
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    if (recorder instanceof AutoCloseable c) {
      c.close();
    }
    ds.close();
    postgres.close();
    Files.deleteIfExists(spool);
  }

  @Benchmark
  public void persistOneStep() {
    long n = sequence.incrementAndGet();
    String runId = "run-" + (n % runs);
    AttemptContext ctx =
        new AttemptContext(
            "default",
            "wf-" + runId,
            "Bench",
            runId,
            "act-" + n,
            "Chat",
            1,
            "bench",
            Instant.now());
    recorder.record(
        new AttemptCost(
            ctx, Outcome.COMPLETED, lines, Map.of("tenant", "t" + (n % 7)), Instant.now()));
  }
}
