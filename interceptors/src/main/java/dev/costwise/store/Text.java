package dev.costwise.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.usage.Printable;
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
    return Printable.cut(Printable.of(s), max);
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
