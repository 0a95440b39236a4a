package dev.costwise.bench;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Pricer;
import dev.costwise.store.AttemptContext;
import dev.costwise.store.AttemptCost;
import dev.costwise.store.CostSchema;
import dev.costwise.store.CostStore;
import dev.costwise.store.Outcome;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
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
 * Step rows persisted per second into a real (embedded) PostgreSQL through {@link CostStore}: one
 * transaction per attempt (lock execution, upsert line, adjust totals), each attempt a new step of
 * one of {@code runs} executions. Target: at least 2,000 steps per second on 2 cores.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
@Threads(4)
@State(Scope.Benchmark)
public class PersistBenchmark {
  /** Executions the steps are spread over; few runs means more contention on the totals row. */
  @Param({"1000"})
  public int runs;

  private EmbeddedPostgres postgres;
  private CostStore store;
  private List<PricedUsage> lines;
  private final AtomicLong sequence = new AtomicLong();

  @Setup(Level.Trial)
  public void start() throws IOException {
    postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "on").start();
    DataSource ds = postgres.getPostgresDatabase();
    CostSchema.migrate(ds);
    store = new CostStore(CostStore.jdbi(ds));
    Pricer pricer = Pricer.of(CatalogSource.bundledCatalog());
    Usage usage = Usage.of("openai", "gpt-4o").inputTokens(1_200).outputTokens(300).build();
    lines = List.of(new PricedUsage(usage, pricer.price(usage)));
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    postgres.close();
  }

  @Benchmark
  public void persistOneStep() {
    long n = sequence.incrementAndGet();
    String runId = "run-" + (n % runs);
    AttemptContext ctx =
        new AttemptContext("default", "wf-" + runId, "Bench", runId, "act-" + n, "Chat", 1, "bench", Instant.now());
    store.record(new AttemptCost(ctx, Outcome.COMPLETED, lines, Map.of("tenant", "t" + (n % 7)), Instant.now()));
  }
}
