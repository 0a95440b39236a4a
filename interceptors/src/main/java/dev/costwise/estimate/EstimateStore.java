package dev.costwise.estimate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;

/**
 * Saves estimates in {@code cost_estimate} (totals and the whole estimate as JSON) and {@code
 * cost_estimate_step} (one row per step), where execution reports find them to show estimated,
 * actual and variance for the run each is linked to.
 */
public final class EstimateStore {
  /** The JSON form of estimates, shared with the command line and HTTP layer. */
  public static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

  private final Jdbi jdbi;

  /** A store over {@code jdbi} (see {@code CostStore.jdbi}). */
  public EstimateStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** Saves {@code estimate} under a new id and returns it with its id and creation time. */
  public Estimate save(Estimate estimate) {
    String id = UUID.randomUUID().toString();
    return jdbi.inTransaction(
        h -> {
          EstimateDao dao = h.attach(EstimateDao.class);
          Instant at =
              dao.insert(
                  id,
                  estimate.workflowType(),
                  estimate.workflowId(),
                  estimate.runId(),
                  estimate.lowUsd(),
                  estimate.expectedUsd(),
                  estimate.highUsd(),
                  estimate.unpricedSteps(),
                  estimate.rule(),
                  "{}");
          List<StepEstimate> steps = estimate.steps();
          dao.insertSteps(id, IntStream.range(0, steps.size()).boxed().toList(), steps);
          Estimate saved = estimate.saved(id, at);
          dao.updateDetail(id, json(saved));
          return saved;
        });
  }

  /** A saved estimate by id. */
  public Optional<Estimate> find(String estimateId) {
    return jdbi.withExtension(EstimateDao.class, dao -> dao.detail(estimateId))
        .map(EstimateStore::read);
  }

  private static String json(Estimate e) {
    try {
      return JSON.writeValueAsString(e);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("estimate cannot be written as JSON", ex);
    }
  }

  private static Estimate read(String json) {
    try {
      return JSON.readValue(json, Estimate.class);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("saved estimate is not readable: " + ex.getMessage(), ex);
    }
  }
}
