package dev.costwise.temporal.internal;

import dev.costwise.usage.Tags;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.interceptors.Header;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Carries a run's tags from the workflow to its activities in a header. Encoded with the standard
 * JSON converter, not the application's, because Costwise owns both ends.
 */
final class TagsHeader {
  static final String KEY = "costwise-tags";
  private static final DataConverter JSON = DefaultDataConverter.STANDARD_INSTANCE;

  private TagsHeader() {}

  static Header with(Header header, Map<String, String> tags) {
    Map<String, Payload> values = new HashMap<>(header.getValues());
    Optional<Payload> payload = JSON.toPayload(tags);
    payload.ifPresent(p -> values.put(KEY, p));
    return new Header(values);
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> read(Header header) {
    Payload p = header == null ? null : header.getValues().get(KEY);
    if (p == null) {
      return Map.of();
    }
    Object raw;
    try {
      raw = JSON.fromPayload(p, Object.class, Object.class);
    } catch (RuntimeException e) {
      return Map.of();
    }
    Map<String, String> tags = new HashMap<>();
    if (raw instanceof Map<?, ?> m) {
      // written by this interceptor from checked tags; a header from an older release may hold
      // values that cannot be stored, which are dropped rather than lose the attempt's cost
      m.forEach(
          (k, v) -> {
            try {
              String key = Tags.checkKey(k == null ? null : k.toString());
              tags.put(key, Tags.checkValue(key, v == null ? null : v.toString()));
            } catch (IllegalArgumentException dropped) {
              // not storable
            }
          });
    }
    return tags;
  }
}
