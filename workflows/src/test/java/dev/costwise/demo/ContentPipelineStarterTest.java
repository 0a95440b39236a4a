package dev.costwise.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.store.StepRow;
import dev.costwise.testing.CostwiseTestEnvironment;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sample's starter against a worker with the Costwise plugin, as an adopter would test it. */
class ContentPipelineStarterTest {
  @Test
  void theStarterRunsOnePipelineUnderItsLimitAndTagsItsCost() {
    try (var costwise = CostwiseTestEnvironment.start();
        var activities = new ContentActivitiesImpl()) {
      var worker = costwise.newWorker("sample");
      worker.registerWorkflowImplementationTypes(ContentPipelineWorkflowImpl.class);
      worker.registerActivitiesImplementations(activities);
      costwise.startWorkers();

      String said = ContentPipelineStarter.run(costwise.client(), "sample", "lighthouses");

      assertThat(said).contains("Produced 'A short film about lighthouses': 3 images, 3 clips");
      assertThat(said).contains("of a $5 limit (OK)");
      List<StepRow> rows =
          costwise
              .store()
              .steps(
                  costwise
                      .store()
                      .jdbi()
                      .withHandle(
                          h ->
                              h.createQuery("SELECT run_id FROM cost_execution")
                                  .mapTo(String.class)
                                  .one()));
      assertThat(rows)
          .isNotEmpty()
          .allSatisfy(r -> assertThat(r.tags()).contains("\"tenant\": \"sample\""));
      BigDecimal total =
          rows.stream().map(StepRow::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
      assertThat(said).contains("spent $" + total.stripTrailingZeros().toPlainString() + " ");
    }
  }
}
