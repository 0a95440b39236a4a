package dev.costwise.temporal.internal;

import dev.costwise.budget.ExecutionLimits;
import dev.costwise.budget.LimitScope;
import dev.costwise.store.RunLimits;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.interceptors.Header;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's place in its tree and chain, carried in a header from a run to the child workflows it
 * starts, to the run it continues as, and to its activities: the root run, the parent run, the
 * chain's first run, the limits of the ancestors that cover it, and (to a continued run) the
 * chain's spend so far. Headers are not compared on replay, so carrying this changes no command.
 *
 * @param kind {@code child} (to a child workflow), {@code continued} (to the next run of a chain)
 *     or {@code activity}
 * @param rootRunId the first run of the top-level workflow's chain
 * @param parentRunId the run that started the tree's child (null at the top)
 * @param chainRunId the first run of the receiving run's chain (to a child: null, it starts one)
 * @param scopes limits of the ancestors that cover the receiving run, outermost first
 * @param carriedUsd to a continued run: what its chain (and the chain's children) spent before it,
 *     with the activities the previous run left running counted at their reservations
 * @param limits to a continued run: its own limits, carried in case its memo is not; to an
 *     activity: its run's own limits (always written, empty when none), which the store keeps on
 *     the run's execution row together with {@code scopes}
 */
record RunHeader(
    String kind,
    String rootRunId,
    String parentRunId,
    String chainRunId,
    List<LimitScope> scopes,
    BigDecimal carriedUsd,
    ExecutionLimits limits) {
  static final String KEY = "costwise-run";
  static final String CHILD = "child";
  static final String CONTINUED = "continued";
  static final String ACTIVITY = "activity";
  private static final DataConverter JSON = DefaultDataConverter.STANDARD_INSTANCE;

  RunHeader {
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
  }

  /** {@code header} with this added. */
  Header addTo(Header header) {
    Map<String, Payload> values = new HashMap<>(header.getValues());
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("kind", kind);
    map.put("root", rootRunId);
    if (parentRunId != null) {
      map.put("parent", parentRunId);
    }
    if (chainRunId != null) {
      map.put("chain", chainRunId);
    }
    if (!scopes.isEmpty()) {
      List<Map<String, String>> list = new ArrayList<>();
      for (LimitScope s : scopes) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("run", s.chainRunId());
        m.putAll(s.limits().toMap());
        list.add(m);
      }
      map.put("scopes", list);
    }
    if (carriedUsd != null) {
      map.put("carriedUsd", carriedUsd.toPlainString());
    }
    if (limits != null && (ACTIVITY.equals(kind) || !limits.equals(ExecutionLimits.NONE))) {
      map.put("limits", limits.toMap());
    }
    JSON.toPayload(map).ifPresent(p -> values.put(KEY, p));
    return new Header(values);
  }

  /**
   * The header in {@code header}, or null when there is none or it cannot be read (a header from
   * another release that cannot be read leaves the run at the top of its own tree, never fails it).
   */
  static RunHeader read(Header header) {
    Payload p = header == null ? null : header.getValues().get(KEY);
    if (p == null) {
      return null;
    }
    try {
      Object raw = JSON.fromPayload(p, Object.class, Object.class);
      if (!(raw instanceof Map<?, ?> m) || !(m.get("root") instanceof String root)) {
        return null;
      }
      List<LimitScope> scopes = new ArrayList<>();
      if (m.get("scopes") instanceof List<?> list) {
        for (Object o : list) {
          if (o instanceof Map<?, ?> s && s.get("run") instanceof String run) {
            scopes.add(new LimitScope(run, ExecutionLimits.fromMap(withoutKey(s, "run"))));
          }
        }
      }
      return new RunHeader(
          text(m.get("kind")),
          root,
          text(m.get("parent")),
          text(m.get("chain")),
          scopes,
          m.get("carriedUsd") == null ? null : new BigDecimal(m.get("carriedUsd").toString()),
          m.get("limits") instanceof Map<?, ?> l ? ExecutionLimits.fromMap(l) : null);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * What an activity's header says of its run's limits, for the store; null when the header did not
   * carry them (written by an earlier release).
   */
  RunLimits runLimits() {
    if (!ACTIVITY.equals(kind) || limits == null) {
      return null;
    }
    return runLimits(limits, scopes);
  }

  /** A run's own limits and those of the ancestors' {@code scopes} covering it, outermost first. */
  static RunLimits runLimits(ExecutionLimits own, List<LimitScope> scopes) {
    List<RunLimits.Covering> tree = new ArrayList<>();
    for (LimitScope s : scopes) {
      tree.add(new RunLimits.Covering(s.chainRunId(), s.limits().softUsd(), s.limits().hardUsd()));
    }
    return new RunLimits(own.softUsd(), own.hardUsd(), tree);
  }

  private static Map<?, ?> withoutKey(Map<?, ?> m, String key) {
    Map<Object, Object> copy = new LinkedHashMap<>(m);
    copy.remove(key);
    return copy;
  }

  private static String text(Object o) {
    return o instanceof String s && !s.isBlank() ? s : null;
  }
}
