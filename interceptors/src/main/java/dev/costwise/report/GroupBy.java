package dev.costwise.report;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a period report groups by: one {@link Dimension}, or one tag ({@code tag:NAME}) whose name
 * must be a plain identifier. This is the one vocabulary the CLI and the HTTP API share; {@link
 * #parse} accepts {@code workflow-type}, {@code workflow_type} and {@code WORKFLOW_TYPE} alike.
 */
public final class GroupBy {
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final int ECHO_LIMIT = 80;

  /** The valid values, as error messages list them. */
  public static final String CHOICES =
      Arrays.stream(Dimension.values()).map(Dimension::label).collect(Collectors.joining(", "))
          + ", tag:NAME";

  private final Dimension dimension;
  private final String tag;

  private GroupBy(Dimension dimension, String tag) {
    this.dimension = dimension;
    this.tag = tag;
  }

  /** Grouping by a fixed dimension. */
  public static GroupBy of(Dimension dimension) {
    return new GroupBy(Objects.requireNonNull(dimension), null);
  }

  /**
   * Grouping by the value of tag {@code name}; lines without it form the group {@code (none)}.
   *
   * @throws IllegalArgumentException unless the name is 1 to 64 letters, digits, '_', '.' or '-'
   */
  public static GroupBy tag(String name) {
    if (name == null || !TAG.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "Tag name '"
              + echo(name)
              + "' must be letters, digits, '_', '.' or '-' (1 to 64 characters)");
    }
    return new GroupBy(null, name);
  }

  /**
   * Parses {@code none}, {@code model}, {@code provider}, {@code workflow-type}, {@code
   * activity-type}, {@code task-queue}, {@code namespace}, {@code tenant} (with '_' or '-', any
   * case) or {@code tag:NAME}; null or blank is {@code none}.
   *
   * @throws IllegalArgumentException with the one message listing {@link #CHOICES}
   */
  public static GroupBy parse(String text) {
    String v = text == null || text.isBlank() ? "none" : text.strip();
    if (v.regionMatches(true, 0, "tag:", 0, 4)) {
      return tag(v.substring(4));
    }
    try {
      return of(Dimension.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_')));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Unknown grouping '" + echo(v) + "'; use one of " + CHOICES, e);
    }
  }

  /** The dimension grouped by, empty for a tag grouping. */
  public Optional<Dimension> dimension() {
    return Optional.ofNullable(dimension);
  }

  /** The tag grouped by, empty for a dimension. */
  public Optional<String> tagName() {
    return Optional.ofNullable(tag);
  }

  /** The name as typed on the command line, e.g. {@code workflow-type} or {@code tag:team}. */
  public String label() {
    return dimension != null ? dimension.label() : "tag:" + tag;
  }

  /** The name as the HTTP API spells it, e.g. {@code workflow_type} or {@code tag:team}. */
  public String key() {
    return dimension != null ? dimension.key() : "tag:" + tag;
  }

  /** The rollup dimension this grouping reads, if the rollup keeps it ({@code tag:tenant} too). */
  Optional<Dimension> rollup() {
    Dimension d =
        tag == null ? dimension : tag.equals(Dimension.TENANT.key()) ? Dimension.TENANT : null;
    return d == null || d.rollupColumn() == null ? Optional.empty() : Optional.of(d);
  }

  /** The expression over {@code cost_step} grouped by; a tag name is validated and quoted. */
  String stepSql() {
    return dimension != null
        ? dimension.stepSql()
        : "COALESCE(tags ->> '" + tag.replace("'", "''") + "', '(none)')";
  }

  private static String echo(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < Math.min(value.length(), ECHO_LIMIT); i++) {
      char c = value.charAt(i);
      b.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
    }
    if (value.length() > ECHO_LIMIT) {
      b.append("... (").append(value.length()).append(" characters)");
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GroupBy g && g.dimension == dimension && Objects.equals(g.tag, tag);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dimension, tag);
  }

  @Override
  public String toString() {
    return key();
  }
}
