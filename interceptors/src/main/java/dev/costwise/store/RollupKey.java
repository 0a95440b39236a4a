package dev.costwise.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;

/**
 * The dimensions of one {@code cost_rollup_daily} row: UTC day of recording, provider, model (the
 * catalog id it was priced as, else the recorded model), workflow type, activity type, task queue
 * and tenant tag ({@code ""} when the line has none).
 */
public record RollupKey(
    LocalDate day,
    String provider,
    String model,
    String workflowType,
    String activityType,
    String taskQueue,
    String tenant) {
  /** The tag kept as a rollup dimension; see {@link dev.costwise.usage.Tags#TENANT}. */
  static final String TENANT_TAG = dev.costwise.usage.Tags.TENANT;

  /** The order rollup rows are locked in, the same in every writer so that none deadlock. */
  public static final Comparator<RollupKey> ORDER =
      Comparator.comparing(RollupKey::day)
          .thenComparing(RollupKey::provider)
          .thenComparing(RollupKey::model)
          .thenComparing(RollupKey::workflowType)
          .thenComparing(RollupKey::activityType)
          .thenComparing(RollupKey::taskQueue)
          .thenComparing(RollupKey::tenant);

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The rollup row a step line counts towards. */
  public static RollupKey of(StepRow r) {
    return of(r, tenant(r.tags()));
  }

  /** As above, with the tenant of {@code tenants}, filled from the row's tags when new. */
  static RollupKey of(StepRow r, java.util.Map<String, String> tenants) {
    String tags = r.tags() == null ? "" : r.tags();
    return of(r, tenants.computeIfAbsent(tags, RollupKey::tenant));
  }

  private static RollupKey of(StepRow r, String tenant) {
    return new RollupKey(
        LocalDate.ofInstant(r.recordedAt(), ZoneOffset.UTC),
        r.provider(),
        r.pricedModel() != null ? r.pricedModel() : r.model(),
        r.workflowType(),
        r.activityType(),
        r.taskQueue(),
        tenant);
  }

  static String tenant(String tagsJson) {
    if (tagsJson == null || tagsJson.isEmpty()) {
      return "";
    }
    try {
      JsonNode v = JSON.readTree(tagsJson).get(TENANT_TAG);
      return v == null || v.isNull() ? "" : v.asText();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("tags of a step row are not JSON: " + tagsJson, e);
    }
  }
}
