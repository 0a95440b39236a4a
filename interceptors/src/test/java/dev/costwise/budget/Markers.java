package dev.costwise.budget;

import io.temporal.api.common.v1.Payloads;
import io.temporal.api.history.v1.HistoryEvent;

/** How budget tests read the markers a run's history recorded. */
final class Markers {
  /** The SDK's name of a side-effect marker. */
  static final String SIDE_EFFECT = "SideEffect";

  private Markers() {}

  /** A version marker's change id, or null when {@code e} is not one. */
  static String changeId(HistoryEvent e) {
    return detail(e, "changeId");
  }

  /** The version a version marker recorded, or null when {@code e} is not one. */
  static String version(HistoryEvent e) {
    return changeId(e) == null ? null : detail(e, "version");
  }

  /** A local activity's type, or null when {@code e} is not a local-activity marker. */
  static String localActivityType(HistoryEvent e) {
    return detail(e, "type");
  }

  /** A local activity's id, or null when {@code e} is not a local-activity marker. */
  static String localActivityId(HistoryEvent e) {
    return localActivityType(e) == null ? null : detail(e, "activityId");
  }

  /** Whether {@code e} is a side-effect marker. */
  static boolean sideEffect(HistoryEvent e) {
    return e.hasMarkerRecordedEventAttributes()
        && e.getMarkerRecordedEventAttributes().getMarkerName().equals(SIDE_EFFECT);
  }

  /** Whether {@code e} is a side-effect marker that recorded null (no answer). */
  static boolean unanswered(HistoryEvent e) {
    return sideEffect(e)
        && e.getMarkerRecordedEventAttributes()
            .getDetailsMap()
            .get("data")
            .getPayloads(0)
            .getMetadataMap()
            .get("encoding")
            .toStringUtf8()
            .equals("binary/null");
  }

  /** What a side-effect marker recorded, as JSON text; null when {@code e} is not one. */
  static String sideEffectData(HistoryEvent e) {
    return sideEffect(e) ? detail(e, "data", false) : null;
  }

  /**
   * A marker by name: a version marker's change id, a local activity's type, else the SDK's marker
   * name ({@value #SIDE_EFFECT} for a side effect); null when {@code e} is no marker.
   */
  static String name(HistoryEvent e) {
    if (!e.hasMarkerRecordedEventAttributes()) {
      return null;
    }
    String id = changeId(e);
    if (id != null) {
      return id;
    }
    String type = localActivityType(e);
    return type != null ? type : e.getMarkerRecordedEventAttributes().getMarkerName();
  }

  /** A marker's detail {@code key} as text (JSON quotes removed), or null. */
  private static String detail(HistoryEvent e, String key) {
    return detail(e, key, true);
  }

  private static String detail(HistoryEvent e, String key, boolean unquoted) {
    if (!e.hasMarkerRecordedEventAttributes()) {
      return null;
    }
    Payloads p = e.getMarkerRecordedEventAttributes().getDetailsMap().get(key);
    if (p == null || p.getPayloadsCount() == 0) {
      return null;
    }
    String text = p.getPayloads(0).getData().toStringUtf8();
    return unquoted ? text.replace("\"", "") : text;
  }
}
