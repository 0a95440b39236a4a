package dev.costwise.worker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.pricing.Cost;
import dev.costwise.pricing.CostComponent;
import dev.costwise.pricing.Money;
import dev.costwise.pricing.Pricer;
import dev.costwise.usage.Usage;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code costwise price}: quotes the exact price of one model call's usage. */
@Command(
    name = "price",
    mixinStandardHelpOptions = true,
    description = {
      "Quotes the exact price of one model call from the catalog, with its breakdown.",
      "Example: costwise price --model gpt-4o --input-tokens 1200 --output-tokens 300"
    },
    exitCodeListHeading = "Exit status:%n",
    exitCodeList = {
      "0:priced",
      "1:an unexpected failure (the message says what)",
      "2:unknown model, no price for a usage kind, bad option or number, or a bad price file"
    })
public final class PriceCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;
  @Mixin PricingOptions pricing;

  @Option(
      names = "--model",
      required = true,
      description = "Model id, e.g. gpt-4o, openai/gpt-4o, gpt-4o-2024-08-06.")
  String model;

  @Option(
      names = "--provider",
      defaultValue = "",
      description = "Provider, e.g. openai (optional).")
  String provider;

  @Option(names = "--input-tokens", defaultValue = "0", description = "Uncached input tokens.")
  long inputTokens;

  @Option(
      names = "--output-tokens",
      defaultValue = "0",
      description = "Output tokens (excluding reasoning).")
  long outputTokens;

  @Option(
      names = "--cache-read-tokens",
      defaultValue = "0",
      description = "Input tokens read from the prompt cache.")
  long cacheReadTokens;

  @Option(
      names = "--cache-write-tokens",
      defaultValue = "0",
      description = "Input tokens written to the prompt cache.")
  long cacheWriteTokens;

  @Option(names = "--reasoning-tokens", defaultValue = "0", description = "Reasoning tokens.")
  long reasoningTokens;

  @Option(names = "--images", defaultValue = "0", description = "Generated images.")
  long images;

  @Option(names = "--image-size", description = "Image size, e.g. 1024x1024.")
  String imageSize;

  @Option(
      names = "--image-quality",
      description = "Image quality, e.g. standard, hd, low, medium, high.")
  String imageQuality;

  @Option(names = "--video-seconds", defaultValue = "0", description = "Generated video seconds.")
  BigDecimal videoSeconds;

  @Option(names = "--with-audio", description = "The video has generated audio.")
  boolean withAudio;

  @Option(
      names = "--characters",
      defaultValue = "0",
      description = "Characters of text synthesized to speech.")
  long characters;

  @Option(
      names = "--audio-seconds",
      defaultValue = "0",
      description = "Seconds of audio transcribed or generated.")
  BigDecimal audioSeconds;

  @Option(
      names = "--cache-write-1h-tokens",
      defaultValue = "0",
      description = "Input tokens written to the prompt cache with a one-hour lifetime.")
  long cacheWrite1hTokens;

  @Option(
      names = "--audio-input-tokens",
      defaultValue = "0",
      description = "Audio tokens sent to a chat or realtime model.")
  long audioInputTokens;

  @Option(
      names = "--audio-output-tokens",
      defaultValue = "0",
      description = "Audio tokens returned by a chat or realtime model.")
  long audioOutputTokens;

  @Option(
      names = "--requests",
      defaultValue = "0",
      description = "API requests billed per request (search APIs, Perplexity's online models).")
  long requests;

  @Option(
      names = "--web-searches",
      defaultValue = "0",
      description = "Searches the model ran with its web-search tool.")
  long webSearches;

  @Option(
      names = "--search-context-size",
      paramLabel = "SIZE",
      description =
          "Search context size of the web searches: low, medium or high (default: medium).")
  String searchContextSize;

  @Option(
      names = "--service-tier",
      paramLabel = "TIER",
      description = "Service tier: batch, flex or priority (default: standard).")
  String serviceTier;

  @Option(
      names = "--at",
      paramLabel = "DAY",
      description = "Price at the prices in force on this UTC day (default: now).")
  java.time.LocalDate at;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Usage usage =
        Usage.of(provider, model)
            .inputTokens(inputTokens)
            .outputTokens(outputTokens)
            .cacheReadTokens(cacheReadTokens)
            .cacheWriteTokens(cacheWriteTokens)
            .reasoningTokens(reasoningTokens)
            .images(images, imageSize, imageQuality)
            .videoSeconds(videoSeconds, withAudio)
            .characters(characters)
            .audioSeconds(audioSeconds)
            .cacheWrite1hTokens(cacheWrite1hTokens)
            .audioInputTokens(audioInputTokens)
            .audioOutputTokens(audioOutputTokens)
            .serviceTier(serviceTier)
            .requests(requests)
            .webSearches(webSearches, searchContextSize)
            .build();
    Cost cost =
        new Pricer(pricing.catalog(), false)
            .priceLenient(
                usage,
                at == null
                    ? java.time.Instant.now()
                    : at.atStartOfDay(java.time.ZoneOffset.UTC).toInstant());
    if (!cost.priced()) {
      spec.commandLine().getErr().println("costwise price: " + cost.unpricedReason());
      if (json) {
        out.println(JSON.writeValueAsString(toJson(usage, cost)));
      }
      return 2;
    }
    if (json) {
      out.println(JSON.writeValueAsString(toJson(usage, cost)));
    } else {
      printTable(out, cost);
    }
    return 0;
  }

  private static void printTable(PrintWriter out, Cost cost) {
    out.printf("model     %s (%s)%n", cost.pricedModel(), cost.provider());
    if (cost.tierAboveTokens() > 0) {
      out.printf("tier      above %,d input tokens%n", cost.tierAboveTokens());
    }
    out.printf("service   %s%n", cost.serviceTier());
    out.printf("entry     %s%n", cost.priceEntry());
    if (cost.catalog() != null) {
      out.printf(
          "catalog   %s (as of %s, %s)%n",
          cost.catalog().source(), cost.catalog().asOf(), cost.catalog().hash());
    }
    for (Map.Entry<CostComponent, BigDecimal> part : cost.breakdown().entrySet()) {
      out.printf("%-11s $%s%n", part.getKey().label(), Money.plain(part.getValue()));
    }
    out.printf("total     $%s%n", Money.plain(cost.total()));
  }

  private static ObjectNode toJson(Usage usage, Cost cost) {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", usage.model());
    root.put("provider", usage.provider());
    root.put("priced", cost.priced());
    root.put("pricedModel", cost.pricedModel());
    root.put("catalogProvider", cost.provider());
    if (cost.priced()) {
      root.put("totalUsd", Money.plain(cost.total()));
      ObjectNode breakdown = root.putObject("breakdownUsd");
      cost.breakdown().forEach((k, v) -> breakdown.put(k.label(), Money.plain(v)));
      root.put("tierAboveInputTokens", cost.tierAboveTokens());
      root.put("serviceTier", cost.serviceTier());
      root.put("priceEntry", cost.priceEntry());
      if (cost.catalog() != null) {
        ObjectNode catalog = root.putObject("catalog");
        catalog.put("source", cost.catalog().source());
        catalog.put("asOf", cost.catalog().asOf());
        catalog.put("hash", cost.catalog().hash());
      }
    } else {
      root.put("unpricedReason", cost.unpricedReason());
    }
    return root;
  }
}
