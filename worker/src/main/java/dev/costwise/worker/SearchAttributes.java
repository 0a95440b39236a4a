package dev.costwise.worker;

import dev.costwise.temporal.CostSearchAttributes;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
   * Registers the cost search attributes {@code namespace} lacks and returns their names (empty
   * when all were there).
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
      var stub = operator.blockingStub().withDeadlineAfter(10, TimeUnit.SECONDS);
      Map<String, IndexedValueType> missing = new HashMap<>(COST);
      try {
        var existing =
            stub.listSearchAttributes(
                ListSearchAttributesRequest.newBuilder().setNamespace(namespace).build());
        missing
            .keySet()
            .removeIf(
                name ->
                    existing.getCustomAttributesMap().containsKey(name)
                        || existing.getSystemAttributesMap().containsKey(name));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != io.grpc.Status.Code.UNIMPLEMENTED) {
          throw e;
        }
        // the SDK's test server cannot list, but adding is idempotent there
      }
      if (!missing.isEmpty()) {
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
          if (e.getStatus().getCode() != io.grpc.Status.Code.ALREADY_EXISTS) {
            throw e;
          }
          return Map
              .of(); // registered meanwhile (another worker), or a server that could not list them
        }
      }
      return missing;
    } finally {
      operator.shutdownNow();
    }
  }
}
