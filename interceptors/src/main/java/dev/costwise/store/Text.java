package dev.costwise.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.usage.Tags;
import java.util.Map;
import java.util.TreeMap;

/** Makes text storable in PostgreSQL when a row was rejected as data. */
final class Text {
  static final int MAX_ID = 1_000;
  static final int MAX_NAME = 200;
  static final int MAX_REASON = 1_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private Text() {}

  /** {@code s} without control characters or broken surrogates, cut to {@code max} characters. */
  static String storable(String s, int max) {
    if (s == null) {
      return null;
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && b.length() < max; i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c)) {
        continue;
      }
      if (Character.isSurrogate(c)) {
        boolean pair =
            Character.isHighSurrogate(c)
                && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1));
        if (pair && b.length() + 2 <= max) {
          b.append(c).append(s.charAt(++i));
        } else if (pair) {
          i++;
        }
        continue;
      }
      b.append(c);
    }
    return b.toString();
  }

  /** Tags JSON with each key and value made storable; keys that break the tag rules are dropped. */
  static String storableTagsJson(String tagsJson) {
    Map<String, String> raw;
    try {
      raw = JSON.readValue(tagsJson == null ? "{}" : tagsJson, new TypeReference<>() {});
    } catch (Exception e) {
      return "{}";
    }
    Map<String, String> clean = new TreeMap<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      try {
        String key = Tags.checkKey(e.getKey());
        clean.put(key, storable(e.getValue(), Tags.MAX_VALUE));
      } catch (IllegalArgumentException dropped) {
        // an unstorable key cannot be kept; the original rows are kept in cost_rejected
      }
      if (clean.size() == Tags.MAX_TAGS) {
        break;
      }
    }
    return CostStore.tagsJson(clean);
  }
}
