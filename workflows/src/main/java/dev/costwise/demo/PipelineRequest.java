package dev.costwise.demo;

/**
 * What to produce.
 *
 * @param topic what the video is about
 * @param scenes how many scenes (each drawn and animated), 1 to 12
 * @param secondsPerScene length of each animated clip, 1 to 8 seconds
 * @param videoModel video model, e.g. {@code veo-3.0-fast-generate-001}
 * @param videoWithAudio whether the video model also generates sound (priced higher)
 * @param simulateOutage make the video provider fail the first scene's first attempt (after billing
 *     it), to show that failed attempts are counted
 */
public record PipelineRequest(
    String topic,
    int scenes,
    int secondsPerScene,
    String videoModel,
    boolean videoWithAudio,
    boolean simulateOutage) {

  /** Rejects requests no pipeline would accept. */
  public PipelineRequest {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("topic is required");
    }
    if (scenes < 1 || scenes > 12) {
      throw new IllegalArgumentException("scenes must be 1-12, was " + scenes);
    }
    if (secondsPerScene < 1 || secondsPerScene > 8) {
      throw new IllegalArgumentException("secondsPerScene must be 1-8, was " + secondsPerScene);
    }
    if (videoModel == null || videoModel.isBlank()) {
      throw new IllegalArgumentException("videoModel is required");
    }
  }
}
