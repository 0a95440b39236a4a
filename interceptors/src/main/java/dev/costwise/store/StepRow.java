package dev.costwise.store;

import dev.costwise.pricing.Cost;
import dev.costwise.pricing.CostComponent;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import java.math.BigDecimal;
import java.time.Instant;

/** One row of {@code cost_step}: one usage record of one activity attempt, priced. */
public record StepRow(
    String runId,
    String activityId,
    int attempt,
    int lineNo,
    String namespace,
    String workflowId,
    String workflowType,
    String activityType,
    String taskQueue,
    String outcome,
    String provider,
    String model,
    String pricedModel,
    long inputTokens,
    long outputTokens,
    long cacheReadTokens,
    long cacheWriteTokens,
    long reasoningTokens,
    long images,
    String imageSize,
    String imageQuality,
    BigDecimal videoSeconds,
    boolean videoWithAudio,
    long characters,
    BigDecimal audioSeconds,
    boolean priced,
    String unpricedReason,
    BigDecimal costUsd,
    BigDecimal inputCost,
    BigDecimal outputCost,
    BigDecimal cacheReadCost,
    BigDecimal cacheWriteCost,
    BigDecimal reasoningCost,
    BigDecimal imageCost,
    BigDecimal videoCost,
    BigDecimal speechCost,
    BigDecimal audioCost,
    String tags,
    Instant startedAt,
    Instant recordedAt,
    long cacheWrite1hTokens,
    BigDecimal cacheWrite1hCost) {

  /**
   * The row for line {@code lineNo} of {@code attempt}; {@code tagsJson} is the merged tags as
   * JSON.
   */
  static StepRow of(AttemptCost attempt, int lineNo, String tagsJson) {
    AttemptContext c = attempt.context();
    PricedUsage line = attempt.lines().get(lineNo);
    Usage u = line.usage();
    Cost cost = line.cost();
    return new StepRow(
        c.runId(),
        c.activityId(),
        c.attempt(),
        lineNo,
        c.namespace(),
        c.workflowId(),
        c.workflowType(),
        c.activityType(),
        c.taskQueue(),
        attempt.outcome().name(),
        !u.provider().isEmpty()
            ? u.provider()
            : cost.provider() != null && !cost.provider().isEmpty() ? cost.provider() : "unknown",
        u.model(),
        cost.pricedModel(),
        u.inputTokens(),
        u.outputTokens(),
        u.cacheReadTokens(),
        u.cacheWriteTokens(),
        u.reasoningTokens(),
        u.images(),
        u.imageSize(),
        u.imageQuality(),
        u.videoSeconds(),
        u.videoWithAudio(),
        u.characters(),
        u.audioSeconds(),
        cost.priced(),
        cost.unpricedReason(),
        cost.total(),
        cost.part(CostComponent.INPUT),
        cost.part(CostComponent.OUTPUT),
        cost.part(CostComponent.CACHE_READ),
        cost.part(CostComponent.CACHE_WRITE),
        cost.part(CostComponent.REASONING),
        cost.part(CostComponent.IMAGES),
        cost.part(CostComponent.VIDEO),
        cost.part(CostComponent.SPEECH),
        cost.part(CostComponent.AUDIO),
        tagsJson,
        c.startedAt(),
        attempt.recordedAt(),
        u.cacheWrite1hTokens(),
        cost.part(CostComponent.CACHE_WRITE_1H));
  }
}
