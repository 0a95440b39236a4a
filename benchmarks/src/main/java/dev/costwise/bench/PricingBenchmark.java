package dev.costwise.bench;

import dev.costwise.pricing.CatalogSource;
import dev.costwise.pricing.Cost;
import dev.costwise.pricing.Pricer;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to price one usage record against the full bundled catalog (about 2,750 models). Target:
 * well under one microsecond per record.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class PricingBenchmark {
  private Pricer pricer;
  private Usage chat;
  private Usage datedSnapshot;
  private Usage video;

  @Setup
  public void setUp() {
    pricer = Pricer.of(CatalogSource.bundledCatalog());
    chat =
        Usage.of("openai", "gpt-4o")
            .inputTokens(1_200)
            .outputTokens(300)
            .cacheReadTokens(1_000)
            .build();
    datedSnapshot =
        Usage.of("anthropic", "claude-sonnet-4-20250514")
            .inputTokens(250_000)
            .outputTokens(2_000)
            .build();
    video =
        Usage.of("vertex_ai", "veo-3.0-generate-001")
            .videoSeconds(new BigDecimal("8"), true)
            .build();
  }

  @Benchmark
  public Cost priceChatTokens() {
    return pricer.price(chat);
  }

  @Benchmark
  public Cost priceLongContextDatedSnapshot() {
    return pricer.price(datedSnapshot);
  }

  @Benchmark
  public Cost priceVideoSeconds() {
    return pricer.price(video);
  }
}
