package dev.costwise.report;

/** How many usage records of a model could not be priced over a period (unknown model or rate). */
public record UnpricedUsage(
    String provider, String model, long unpricedUsageCount, long usageCount) {}
