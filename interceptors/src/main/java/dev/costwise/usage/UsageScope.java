package dev.costwise.usage;

import dev.costwise.pricing.Cost;
import dev.costwise.pricing.Pricer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The usage captured during one activity attempt. Opened and closed by Costwise's activity
 * interceptor around the attempt; application code records into it through {@link CostUsage}.
 * Records are priced as they arrive, so a bad record fails at the call that made it.
 */
public final class UsageScope {
  private static final Pattern TAG_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,62}");
  private static final int MAX_TAG_VALUE = 256;
  private static final int MAX_RECORDS = 1_000;

  private final Pricer pricer;
  private final List<PricedUsage> records = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, String> tags = Collections.synchronizedMap(new LinkedHashMap<>());

  /** Opens an empty scope pricing with {@code pricer}. */
  public UsageScope(Pricer pricer) {
    this.pricer = pricer;
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
    records.add(new PricedUsage(usage, cost));
    if (!cost.priced() && pricer.strict()) {
      throw new dev.costwise.pricing.UnknownModelException(cost.unpricedReason());
    }
    return cost;
  }

  /** Adds a free-form tag (tenant, user, department, ...) to this attempt's cost rows. */
  public void tag(String key, String value) {
    tags.put(checkTagKey(key), checkTagValue(key, value));
  }

  /** Validates a tag key: a letter, then letters, digits, {@code _ . -}; at most 63 characters. */
  public static String checkTagKey(String key) {
    if (key == null || !TAG_KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "tag key '"
              + key
              + "' is invalid: start with a letter, then letters, digits, '_', '.', '-' (max 63)");
    }
    return key;
  }

  /** Validates a tag value: non-null, at most 256 characters. */
  public static String checkTagValue(String key, String value) {
    if (value == null || value.length() > MAX_TAG_VALUE) {
      throw new IllegalArgumentException(
          "tag '" + key + "' needs a value of at most " + MAX_TAG_VALUE + " characters");
    }
    return value;
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
