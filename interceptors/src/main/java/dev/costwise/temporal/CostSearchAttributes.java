package dev.costwise.temporal;

import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.OperatorServiceStubs;
import java.util.Map;

/**
 * The search attributes a run's cost is visible under in the Temporal CLI and Web UI, e.g. {@code
 * temporal workflow list --query 'CostUsd > 5'}. Register them once per namespace:
 *
 * <pre>
 * temporal operator search-attribute create --name CostUsd --type Double
 * temporal operator search-attribute create --name CostStatus --type Keyword
 * temporal operator search-attribute create --name CostLimitUsd --type Double
 * </pre>
 *
 * <p>or call {@link #register}; on a {@code TestWorkflowEnvironment}, {@code
 * CostSearchAttributes.ALL.forEach(env::registerSearchAttribute)}.
 */
public final class CostSearchAttributes {
  /** The run's priced total in USD as of its latest budget check. */
  public static final SearchAttributeKey<Double> COST_USD = SearchAttributeKey.forDouble("CostUsd");

  /** {@code OK}, {@code WARNING}, {@code BLOCKED} or {@code EXCEEDED}. */
  public static final SearchAttributeKey<String> COST_STATUS =
      SearchAttributeKey.forKeyword("CostStatus");

  /** The run's hard limit in USD, when it has one. */
  public static final SearchAttributeKey<Double> COST_LIMIT_USD =
      SearchAttributeKey.forDouble("CostLimitUsd");

  /** Every attribute by name with its type. */
  public static final Map<String, IndexedValueType> ALL =
      Map.of(
          COST_USD.getName(), IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
          COST_STATUS.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          COST_LIMIT_USD.getName(), IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE);

  private CostSearchAttributes() {}

  /**
   * Registers every attribute on {@code namespace} of a real cluster or dev server; fails if one
   * exists with another type.
   */
  public static void register(OperatorServiceStubs operator, String namespace) {
    operator
        .blockingStub()
        .addSearchAttributes(
            AddSearchAttributesRequest.newBuilder()
                .setNamespace(namespace)
                .putAllSearchAttributes(ALL)
                .build());
  }
}
