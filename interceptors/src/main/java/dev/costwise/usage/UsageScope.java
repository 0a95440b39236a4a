package dev.costwise.usage;

import dev.costwise.pricing.Cost;
import dev.costwise.pricing.Pricer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The usage captured during one activity attempt. Opened and closed by Costwise's activity
 * interceptor around the attempt; application code records into it through {@link CostUsage}, and
 * SDK integrations capture it on the thread that starts a request ({@link
 * CostUsage#currentScope()}) and record into it from whatever thread the response completes on.
 * Every method is thread-safe. Records are priced as they arrive, so a bad record fails at the call
 * that made it.
 *
 * <p>Once the attempt has ended ({@link #close(LateUsageHandler)}), its rows are being written and
 * a new record cannot join them: it is priced, handed to the handler given at close (Costwise's
 * interceptor logs it with the attempt's identity and counts it as {@code
 * costwise_usage_late_total}), and not stored. It is never dropped silently.
 *
 * <p>A record may carry the provider's response id ({@link #record(Usage, String)}); a second
 * record with the same id in the same attempt is the same call seen by a second layer (a framework
 * over an SDK) and is ignored, so one record survives.
 */
public final class UsageScope {
  private static final int MAX_RECORDS = 1_000;
  private static final int MAX_RESPONSE_ID = 512;

  private final Pricer pricer;
  private final Object lock = new Object();
  private final List<PricedUsage> records = new ArrayList<>();
  private final Map<String, Cost> byResponseId = new HashMap<>();
  private final Map<String, String> tags = Collections.synchronizedMap(new LinkedHashMap<>());
  private boolean closed;
  private LateUsageHandler lateHandler;

  /** Told of each record as it is kept, with its line number in the attempt; must not throw. */
  @FunctionalInterface
  public interface Listener {
    /** {@code line} was kept as line {@code lineNo} of this attempt. */
    void recorded(int lineNo, PricedUsage line);
  }

  private final Listener listener;
  private final Instant startedAt;

  /** Opens an empty scope pricing with {@code pricer}. */
  public UsageScope(Pricer pricer) {
    this(pricer, (lineNo, line) -> {});
  }

  /**
   * Opens an empty scope pricing with {@code pricer} and telling {@code listener} of each record as
   * it is kept (the recorder makes it durable there, before the attempt ends).
   */
  public UsageScope(Pricer pricer, Listener listener) {
    this(pricer, listener, Instant.now());
  }

  /**
   * Opens an empty scope for an attempt that started at {@code startedAt}: its records are priced
   * at the prices in force then, whenever they arrive.
   */
  public UsageScope(Pricer pricer, Listener listener, Instant startedAt) {
    this.pricer = pricer;
    this.listener = listener;
    this.startedAt = startedAt;
  }

  /**
   * Prices and keeps one record. In strict mode an unpriceable record is kept (it was billed) and
   * then {@link dev.costwise.pricing.UnknownModelException} is thrown.
   */
  public Cost record(Usage usage) {
    return record(usage, null);
  }

  /**
   * Prices and keeps one record of the provider response {@code responseId} (null when the response
   * carries none). When a record with the same response id is already in this attempt, nothing is
   * added and the earlier record's price is returned: two layers that saw one call count it once.
   * After the attempt ended the record goes to the late-usage handler instead (see the class note).
   */
  public Cost record(Usage usage, String responseId) {
    if (usage == null) {
      throw new InvalidUsageException("usage is null");
    }
    String id = responseId == null || responseId.isBlank() ? null : responseId.strip();
    if (id != null && id.length() > MAX_RESPONSE_ID) {
      throw new InvalidUsageException(
          "response id is " + id.length() + " characters; at most " + MAX_RESPONSE_ID);
    }
    Cost cost;
    LateUsageHandler late;
    synchronized (lock) {
      if (id != null) {
        Cost seen = byResponseId.get(id);
        if (seen != null) {
          return seen;
        }
      }
      if (!closed && records.size() >= MAX_RECORDS) {
        throw new InvalidUsageException(
            "more than "
                + MAX_RECORDS
                + " usage records in one activity attempt; aggregate calls per model");
      }
      cost = pricer.priceLenient(usage, startedAt);
      if (id != null) {
        byResponseId.put(id, cost);
      }
      late = closed ? lateHandler : null;
      if (!closed) {
        PricedUsage line = new PricedUsage(usage, cost);
        records.add(line);
        listener.recorded(records.size() - 1, line); // made durable before the attempt ends
      }
    }
    if (late != null) {
      late.lateUsage(new PricedUsage(usage, cost), id);
      return cost;
    }
    if (!cost.priced() && pricer.strict()) {
      throw new dev.costwise.pricing.UnknownModelException(cost.unpricedReason());
    }
    return cost;
  }

  /**
   * Ends the attempt: later records go to {@code onLate} and are not stored. Returns the records
   * captured up to now. Closing twice keeps the first handler.
   */
  public List<PricedUsage> close(LateUsageHandler onLate) {
    synchronized (lock) {
      if (!closed) {
        closed = true;
        lateHandler = onLate == null ? (u, id) -> {} : onLate;
      }
      return List.copyOf(records);
    }
  }

  /** Whether the attempt has ended. */
  public boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** Receives usage recorded after its attempt ended. Called on the recording thread. */
  @FunctionalInterface
  public interface LateUsageHandler {
    /** One late record, priced, with its response id (null when none). */
    void lateUsage(PricedUsage usage, String responseId);
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
    synchronized (lock) {
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
    synchronized (lock) {
      return records.isEmpty();
    }
  }

  /** Whether any record could not be priced. */
  public boolean hasUnpriced() {
    synchronized (lock) {
      return records.stream().anyMatch(r -> !r.cost().priced());
    }
  }
}
