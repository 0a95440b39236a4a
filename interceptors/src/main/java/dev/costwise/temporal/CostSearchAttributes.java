package dev.costwise.temporal;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.OperatorServiceStubs;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The search attributes a run's cost is visible under in the Temporal CLI and Web UI, e.g. {@code
 * temporal workflow list --query 'CostUsd > 5'}. Register them once per namespace:
 *
 * <pre>
 * temporal operator search-attribute create --name CostUsd --type Double
 * temporal operator search-attribute create --name CostStatus --type Keyword
 * temporal operator search-attribute create --name CostLimitUsd --type Double
 * temporal operator search-attribute create --name CostSubtreeUsd --type Double
 * </pre>
 *
 * <p>or call {@link #register}; on a {@code TestWorkflowEnvironment}, {@code
 * CostSearchAttributes.ALL.forEach(env::registerSearchAttribute)}.
 */
public final class CostSearchAttributes {
  /**
   * The run's priced total in USD as of its latest upsert: exact when the run waits or ends, at
   * most about 10 s behind while it works (see {@code CostTrackingOptions.setSearchAttributes}).
   */
  public static final SearchAttributeKey<Double> COST_USD = SearchAttributeKey.forDouble("CostUsd");

  /** {@code OK}, {@code WARNING}, {@code BLOCKED} or {@code EXCEEDED}. */
  public static final SearchAttributeKey<String> COST_STATUS =
      SearchAttributeKey.forKeyword("CostStatus");

  /** The run's hard limit in USD, when it has one. */
  public static final SearchAttributeKey<Double> COST_LIMIT_USD =
      SearchAttributeKey.forDouble("CostLimitUsd");

  /**
   * What the run's own limits are compared with: its chain (the runs it continued from, and itself)
   * and every run those started, in USD. Set on runs that started children or continued from
   * another run.
   */
  public static final SearchAttributeKey<Double> COST_SUBTREE_USD =
      SearchAttributeKey.forDouble("CostSubtreeUsd");

  /** Every attribute by name with its type. */
  public static final Map<String, IndexedValueType> ALL =
      Map.of(
          COST_USD.getName(), IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
          COST_STATUS.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          COST_LIMIT_USD.getName(), IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
          COST_SUBTREE_USD.getName(), IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE);

  private CostSearchAttributes() {}

  /**
   * Registers the attributes {@code namespace} lacks and returns them (empty when all were there).
   * Safe to call from several workers at once. Servers that cannot list attributes (the SDK's test
   * server) are sent every attribute, which they accept again.
   *
   * @throws StatusRuntimeException when the frontend refuses (no permission, unknown namespace)
   */
  public static Map<String, IndexedValueType> register(
      OperatorServiceStubs operator, String namespace) {
    Map<String, IndexedValueType> missing = new HashMap<>(ALL);
    try {
      var existing =
          operator
              .blockingStub()
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .listSearchAttributes(
                  ListSearchAttributesRequest.newBuilder().setNamespace(namespace).build());
      missing
          .keySet()
          .removeIf(
              name ->
                  existing.getCustomAttributesMap().containsKey(name)
                      || existing.getSystemAttributesMap().containsKey(name));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
        throw e;
      }
    }
    if (missing.isEmpty()) {
      return Map.of();
    }
    try {
      operator
          .blockingStub()
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .addSearchAttributes(
              AddSearchAttributesRequest.newBuilder()
                  .setNamespace(namespace)
                  .putAllSearchAttributes(missing)
                  .build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
        throw e;
      }
      return Map.of(); // registered meanwhile by another worker
    }
    return missing;
  }
}
