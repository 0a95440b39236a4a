package dev.costwise.store;

import dev.costwise.pricing.Cost;
import dev.costwise.pricing.CostComponent;
import dev.costwise.usage.PricedUsage;
import dev.costwise.usage.Usage;
import dev.costwise.usage.UsageCounts;
import java.math.BigDecimal;
import java.time.Instant;
import org.jdbi.v3.core.mapper.Nested;

/**
 * One row of {@code cost_step}: one usage record of one activity attempt, priced. The amounts are
 * {@link #counts()}, mapped from the columns of the same names. {@code parentRunId}, {@code
 * chainRunId} and {@code runLimits} are not columns of the line: they travel with it to its run's
 * execution row (null when read back, and {@code runLimits} null when the run's limits are
 * unknown).
 */
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
    @Nested UsageCounts counts,
    String imageSize,
    String imageQuality,
    boolean videoWithAudio,
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
    BigDecimal cacheWrite1hCost,
    String serviceTier,
    BigDecimal audioInputCost,
    BigDecimal audioOutputCost,
    String searchContextSize,
    BigDecimal requestCost,
    BigDecimal webSearchCost,
    @Nested PricedWith pricedWith,
    @Nullable String rootRunId,
    @Nullable String parentRunId,
    @Nullable String chainRunId,
    @Nullable RunLimits runLimits) {

  /**
   * The row for line {@code lineNo} of {@code attempt}; {@code tagsJson} is the merged tags as
   * JSON.
   */
  static StepRow of(AttemptCost attempt, int lineNo, String tagsJson) {
    return line(
        attempt.context(),
        attempt.outcome(),
        lineNo,
        attempt.lines().get(lineNo),
        tagsJson,
        attempt.recordedAt());
  }

  /** The row for one priced usage record of an attempt, before the attempt has ended. */
  static StepRow line(
      AttemptContext c,
      Outcome outcome,
      int lineNo,
      PricedUsage line,
      String tagsJson,
      Instant recordedAt) {
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
        outcome.name(),
        !u.provider().isEmpty()
            ? u.provider()
            : cost.provider() != null && !cost.provider().isEmpty() ? cost.provider() : "unknown",
        u.model(),
        cost.pricedModel(),
        u.counts(),
        u.imageSize(),
        u.imageQuality(),
        u.videoWithAudio(),
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
        recordedAt,
        cost.part(CostComponent.CACHE_WRITE_1H),
        u.serviceTier(),
        cost.part(CostComponent.AUDIO_INPUT),
        cost.part(CostComponent.AUDIO_OUTPUT),
        u.searchContextSize(),
        cost.part(CostComponent.REQUESTS),
        cost.part(CostComponent.WEB_SEARCH),
        PricedWith.of(cost),
        c.rootRunId(),
        c.parentRunId(),
        c.chainRunId(),
        c.limits());
  }

  /** The same row with another outcome and recording time. */
  StepRow withOutcome(Outcome outcome, Instant recordedAt) {
    return withEnd(outcome.name(), recordedAt, tags);
  }

  /** The same row with the outcome, recording time and tags (JSON) its attempt ended with. */
  StepRow withEnd(String outcome, Instant recordedAt, String tags) {
    return new StepRow(
        runId,
        activityId,
        attempt,
        lineNo,
        namespace,
        workflowId,
        workflowType,
        activityType,
        taskQueue,
        outcome,
        provider,
        model,
        pricedModel,
        counts,
        imageSize,
        imageQuality,
        videoWithAudio,
        priced,
        unpricedReason,
        costUsd,
        inputCost,
        outputCost,
        cacheReadCost,
        cacheWriteCost,
        reasoningCost,
        imageCost,
        videoCost,
        speechCost,
        audioCost,
        tags,
        startedAt,
        recordedAt,
        cacheWrite1hCost,
        serviceTier,
        audioInputCost,
        audioOutputCost,
        searchContextSize,
        requestCost,
        webSearchCost,
        pricedWith,
        rootRunId,
        parentRunId,
        chainRunId,
        runLimits);
  }

  /**
   * The same row with every text value made storable: control characters (NUL among them) removed
   * and lengths bounded. Amounts are unchanged. Used for rows PostgreSQL rejected as data.
   */
  StepRow storable() {
    return new StepRow(
        Text.storable(runId, Text.MAX_ID),
        Text.storable(activityId, Text.MAX_ID),
        attempt,
        lineNo,
        Text.storable(namespace, Text.MAX_ID),
        Text.storable(workflowId, Text.MAX_ID),
        Text.storable(workflowType, Text.MAX_NAME),
        Text.storable(activityType, Text.MAX_NAME),
        Text.storable(taskQueue, Text.MAX_NAME),
        outcome,
        Text.storable(provider, Text.MAX_NAME),
        Text.storable(model, Text.MAX_NAME),
        Text.storable(pricedModel, Text.MAX_NAME),
        counts,
        Text.storable(imageSize, Text.MAX_NAME),
        Text.storable(imageQuality, Text.MAX_NAME),
        videoWithAudio,
        priced,
        Text.storable(unpricedReason, Text.MAX_REASON),
        costUsd,
        inputCost,
        outputCost,
        cacheReadCost,
        cacheWriteCost,
        reasoningCost,
        imageCost,
        videoCost,
        speechCost,
        audioCost,
        Text.storableTagsJson(tags),
        startedAt,
        recordedAt,
        cacheWrite1hCost,
        serviceTier,
        audioInputCost,
        audioOutputCost,
        searchContextSize,
        requestCost,
        webSearchCost,
        pricedWith,
        Text.storable(rootRunId, Text.MAX_ID),
        Text.storable(parentRunId, Text.MAX_ID),
        Text.storable(chainRunId, Text.MAX_ID),
        runLimits);
  }

  /** The usage record this line holds, as recorded (for pricing it again). */
  public Usage usage() {
    return new Usage(
        "unknown".equals(provider) ? "" : provider,
        model,
        counts.inputTokens(),
        counts.outputTokens(),
        counts.cacheReadTokens(),
        counts.cacheWriteTokens(),
        counts.reasoningTokens(),
        counts.images(),
        imageSize,
        imageQuality,
        counts.videoSeconds(),
        videoWithAudio,
        counts.characters(),
        counts.audioSeconds(),
        counts.cacheWrite1hTokens(),
        counts.audioInputTokens(),
        counts.audioOutputTokens(),
        serviceTier,
        counts.requests(),
        counts.webSearches(),
        searchContextSize);
  }

  /** The same line priced at {@code cost} instead. */
  StepRow repriced(Cost cost) {
    return new StepRow(
        runId,
        activityId,
        attempt,
        lineNo,
        namespace,
        workflowId,
        workflowType,
        activityType,
        taskQueue,
        outcome,
        provider,
        model,
        cost.pricedModel(),
        counts,
        imageSize,
        imageQuality,
        videoWithAudio,
        cost.priced(),
        cost.unpricedReason() == null
            ? null
            : Text.storable(cost.unpricedReason(), Text.MAX_REASON),
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
        tags,
        startedAt,
        recordedAt,
        cost.part(CostComponent.CACHE_WRITE_1H),
        serviceTier,
        cost.part(CostComponent.AUDIO_INPUT),
        cost.part(CostComponent.AUDIO_OUTPUT),
        searchContextSize,
        cost.part(CostComponent.REQUESTS),
        cost.part(CostComponent.WEB_SEARCH),
        PricedWith.of(cost),
        rootRunId,
        parentRunId,
        chainRunId,
        runLimits);
  }

  /** Whether {@code other} carries the same figures: priced flag, priced model, total and parts. */
  boolean sameFigures(StepRow o) {
    return priced == o.priced
        && java.util.Objects.equals(pricedModel, o.pricedModel)
        && same(costUsd, o.costUsd)
        && same(inputCost, o.inputCost)
        && same(outputCost, o.outputCost)
        && same(cacheReadCost, o.cacheReadCost)
        && same(cacheWriteCost, o.cacheWriteCost)
        && same(reasoningCost, o.reasoningCost)
        && same(imageCost, o.imageCost)
        && same(videoCost, o.videoCost)
        && same(speechCost, o.speechCost)
        && same(audioCost, o.audioCost)
        && same(cacheWrite1hCost, o.cacheWrite1hCost)
        && same(audioInputCost, o.audioInputCost)
        && same(audioOutputCost, o.audioOutputCost)
        && same(requestCost, o.requestCost)
        && same(webSearchCost, o.webSearchCost);
  }

  private static boolean same(BigDecimal a, BigDecimal b) {
    return a == null ? b == null : b != null && a.compareTo(b) == 0;
  }
}
