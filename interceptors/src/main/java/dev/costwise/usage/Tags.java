package dev.costwise.usage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules every cost tag obeys, wherever it comes from (the run's memo, a client helper, {@link
 * CostUsage#tag}): at most {@value #MAX_TAGS} tags; keys a letter then letters, digits, {@code _ .
 * -}, at most 63 characters; values at most {@value #MAX_VALUE} characters with no control
 * characters (NUL among them) and no broken surrogate pairs. A tag that breaks them is refused with
 * a message naming it, so that nothing unstorable reaches the database.
 */
public final class Tags {
  /** The tag kept as a dimension of the daily rollup, so reports and budgets by tenant are fast. */
  public static final String TENANT = "tenant";

  /** Most tags one run or attempt may carry. */
  public static final int MAX_TAGS = 32;

  /** Longest tag value, in characters. */
  public static final int MAX_VALUE = 256;

  private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,62}");
  private static final int ECHO = 40;

  private Tags() {}

  /**
   * Validates a key.
   *
   * @throws IllegalArgumentException naming the key (shortened) and the rule
   */
  public static String checkKey(String key) {
    if (key == null || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "tag key '"
              + echo(key)
              + "' is invalid: start with a letter, then letters, digits, '_', '.', '-' (max 63)");
    }
    return key;
  }

  /**
   * Validates a value of tag {@code key}.
   *
   * @throws IllegalArgumentException naming the tag and what is wrong with the value
   */
  public static String checkValue(String key, String value) {
    if (value == null) {
      throw new IllegalArgumentException("tag '" + echo(key) + "' has no value");
    }
    if (value.length() > MAX_VALUE) {
      throw new IllegalArgumentException(
          "tag '"
              + echo(key)
              + "' is "
              + value.length()
              + " characters long; at most "
              + MAX_VALUE
              + " are allowed");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "tag '"
                + echo(key)
                + "' contains the control character U+"
                + String.format("%04X", (int) c)
                + " at position "
                + i
                + "; control characters cannot be stored");
      }
      if (Character.isHighSurrogate(c)
          && (i + 1 == value.length() || !Character.isLowSurrogate(value.charAt(i + 1)))) {
        throw new IllegalArgumentException(
            "tag '" + echo(key) + "' contains a broken surrogate pair at position " + i);
      }
      if (Character.isLowSurrogate(c)
          && (i == 0 || !Character.isHighSurrogate(value.charAt(i - 1)))) {
        throw new IllegalArgumentException(
            "tag '" + echo(key) + "' contains a broken surrogate pair at position " + i);
      }
    }
    return value;
  }

  /**
   * A tag map from a value decoded from JSON (a memo or header): every key and value checked,
   * numbers and booleans taken as their text.
   *
   * @param source where the map came from, for the message, e.g. {@code memo 'costwise.tags'}
   * @throws IllegalArgumentException when it is not a map of text, or a tag breaks a rule
   */
  public static Map<String, String> fromJson(Object raw, String source) {
    if (raw == null) {
      return Map.of();
    }
    if (!(raw instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          source + " must be an object of tag names to text values, was " + kind(raw));
    }
    if (map.size() > MAX_TAGS) {
      throw new IllegalArgumentException(
          source + " has " + map.size() + " tags; at most " + MAX_TAGS + " are allowed");
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = checkKey(e.getKey() == null ? null : e.getKey().toString());
      Object v = e.getValue();
      if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
        throw new IllegalArgumentException(
            source + ": tag '" + key + "' must be text, was " + kind(v));
      }
      try {
        tags.put(key, checkValue(key, v.toString()));
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(source + ": " + bad.getMessage(), bad);
      }
    }
    return tags;
  }

  private static String kind(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Map) {
      return "an object";
    }
    if (v instanceof Iterable || v.getClass().isArray()) {
      return "a list";
    }
    if (v instanceof String) {
      return "text";
    }
    return v instanceof Number ? "a number" : v.getClass().getSimpleName();
  }

  static String echo(String s) {
    return Printable.echo(s, ECHO);
  }
}
