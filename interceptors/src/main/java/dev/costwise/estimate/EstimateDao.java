package dev.costwise.estimate;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** SQL for saved estimates. */
interface EstimateDao {

  @SqlQuery(
      """
      INSERT INTO cost_estimate (estimate_id, workflow_type, workflow_id, run_id, low_usd, expected_usd, high_usd,
                                 unpriced_steps, rule, detail)
      VALUES (:id, :workflowType, :workflowId, :runId, :low, :expected, :high, :unpricedSteps, :rule,
              CAST(:detail AS jsonb))
      RETURNING created_at
      """)
  Instant insert(
      @Bind("id") String id,
      @Bind("workflowType") String workflowType,
      @Bind("workflowId") String workflowId,
      @Bind("runId") String runId,
      @Bind("low") BigDecimal low,
      @Bind("expected") BigDecimal expected,
      @Bind("high") BigDecimal high,
      @Bind("unpricedSteps") int unpricedSteps,
      @Bind("rule") String rule,
      @Bind("detail") String detail);

  @SqlBatch(
      """
      INSERT INTO cost_estimate_step (estimate_id, step_no, activity_type, provider, model, source, calls, samples,
                                      low_usd, expected_usd, high_usd)
      VALUES (:id, :stepNo, :s.activityType, :s.provider, :s.model, :s.source, :s.calls, :s.samples, :s.lowUsd,
              :s.expectedUsd, :s.highUsd)
      """)
  void insertSteps(
      @Bind("id") String id,
      @Bind("stepNo") List<Integer> stepNos,
      @BindMethods("s") List<StepEstimate> steps);

  @SqlQuery(
      "UPDATE cost_estimate SET detail = CAST(:detail AS jsonb) WHERE estimate_id = :id RETURNING estimate_id")
  Optional<String> updateDetail(@Bind("id") String id, @Bind("detail") String detail);

  @SqlQuery("SELECT CAST(detail AS text) FROM cost_estimate WHERE estimate_id = :id")
  Optional<String> detail(@Bind("id") String id);
}
