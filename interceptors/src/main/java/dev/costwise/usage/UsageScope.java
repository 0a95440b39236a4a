package dev.costwise.usage;

import dev.costwise.pricing.Cost;
import dev.costwise.pricing.Pricer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The usage captured during one activity attempt. Opened and closed by Costwise's activity
 * interceptor around the attempt; application code records into it through {@link CostUsage}.
 * Records are priced as they arrive, so a bad record fails at the call that made it.
 */
public final class UsageScope {
  private static final int MAX_RECORDS = 1_000;

  private final Pricer pricer;
  private final List<PricedUsage> records = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, String> tags = Collections.synchronizedMap(new LinkedHashMap<>());

  /** Told of each record as it is kept, with its line number in the attempt; must not throw. */
  @FunctionalInterface
  public interface Listener {
    /** {@code line} was kept as line {@code lineNo} of this attempt. */
    void recorded(int lineNo, PricedUsage line);
  }

  private final Listener listener;

  /** Opens an empty scope pricing with {@code pricer}. */
  public UsageScope(Pricer pricer) {
    this(pricer, (lineNo, line) -> {});
  }

  /**
   * Opens an empty scope pricing with {@code pricer} and telling {@code listener} of each record as
   * it is kept (the recorder makes it durable there, before the attempt ends).
   */
  public UsageScope(Pricer pricer, Listener listener) {
    this.pricer = pricer;
    this.listener = listener;
  }

  /**
   * Prices and keeps one record. In strict mode an unpriceable record is kept (it was billed) and
   * then {@link dev.costwise.pricing.UnknownModelException} is thrown.
   */
  public Cost record(Usage usage) {
    if (usage == null) {
      throw new InvalidUsageException("usage is null");
    }
    if (records.size() >= MAX_RECORDS) {
      throw new InvalidUsageException(
          "more than "
              + MAX_RECORDS
              + " usage records in one activity attempt; aggregate calls per model");
    }
    Cost cost = pricer.priceLenient(usage);
    PricedUsage line = new PricedUsage(usage, cost);
    synchronized (records) {
      records.add(line);
      listener.recorded(records.size() - 1, line);
    }
    if (!cost.priced() && pricer.strict()) {
      throw new dev.costwise.pricing.UnknownModelException(cost.unpricedReason());
    }
    return cost;
  }

  /** Adds a free-form tag (tenant, user, department, ...) to this attempt's cost rows. */
  public void tag(String key, String value) {
    Tags.checkValue(Tags.checkKey(key), value);
    synchronized (tags) {
      if (!tags.containsKey(key) && tags.size() >= Tags.MAX_TAGS) {
        throw new IllegalArgumentException(
            "more than " + Tags.MAX_TAGS + " tags in one activity attempt");
      }
      tags.put(key, value);
    }
  }

  /** Validates a tag key; see {@link Tags#checkKey}. */
  public static String checkTagKey(String key) {
    return Tags.checkKey(key);
  }

  /** Validates a tag value; see {@link Tags#checkValue}. */
  public static String checkTagValue(String key, String value) {
    return Tags.checkValue(key, value);
  }

  /** Records captured so far, in order. */
  public List<PricedUsage> records() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }

  /** Tags added in this attempt. */
  public Map<String, String> tags() {
    synchronized (tags) {
      return Map.copyOf(tags);
    }
  }

  /** Whether nothing was recorded. */
  public boolean isEmpty() {
    return records.isEmpty();
  }

  /** Whether any record could not be priced. */
  public boolean hasUnpriced() {
    synchronized (records) {
      return records.stream().anyMatch(r -> !r.cost().priced());
    }
  }
}
