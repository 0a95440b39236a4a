package dev.costwise.demo;

import java.util.List;

/**
 * What the pipeline made.
 *
 * @param title the script's title
 * @param images one image per scene
 * @param clips one clip per scene
 * @param narration the voice-over
 */
public record PipelineResult(
    String title, List<String> images, List<String> clips, String narration) {
  /** Copies the lists. */
  public PipelineResult {
    images = List.copyOf(images);
    clips = List.copyOf(clips);
  }
}
