package dev.costwise.temporal.internal;

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
    Map<String, Object> raw = JSON.fromPayload(p, Map.class, Map.class);
    return stringValues(raw);
  }

  static Map<String, String> stringValues(Map<?, ?> raw) {
    Map<String, String> tags = new HashMap<>();
    if (raw != null) {
      raw.forEach(
          (k, v) -> {
            if (k != null && v != null) {
              tags.put(k.toString(), v.toString());
            }
          });
    }
    return tags;
  }
}
