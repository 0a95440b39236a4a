package dev.costwise.worker;

import dev.costwise.temporal.CostSearchAttributes;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import java.util.Map;

/**
 * The search attributes the cost interceptors upsert, and their registration: an upsert of an
 * attribute the namespace does not know fails the workflow task, so the worker makes sure they
 * exist before it polls.
 */
public final class SearchAttributes {
  /** Name and type of each cost search attribute. */
  public static final Map<String, IndexedValueType> COST = CostSearchAttributes.ALL;

  private SearchAttributes() {}

  /**
   * Registers the cost search attributes {@code namespace} at {@code address} lacks and returns
   * them (empty when all were there); see {@link CostSearchAttributes#register}.
   *
   * @throws StatusRuntimeException when the frontend refuses (no permission, unknown namespace)
   */
  public static Map<String, IndexedValueType> ensureRegistered(String address, String namespace) {
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder()
                .setTarget(address)
                .validateAndBuildWithDefaults());
    try {
      return CostSearchAttributes.register(operator, namespace);
    } finally {
      operator.shutdownNow();
    }
  }
}
