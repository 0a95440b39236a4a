package dev.costwise.demo;

import io.temporal.activity.ActivityInterface;
import java.util.List;

/** The pipeline's model calls, one activity per call so each is retried, timed and priced alone. */
@ActivityInterface
public interface ContentActivities {

  /** A script. Its LLM usage is captured by Costwise's anthropic-java integration. */
  record Script(String title, List<String> scenes, String narration) {
    /** Copies the list. */
    public Script {
      scenes = List.copyOf(scenes);
    }
  }

  /** Writes the script with an LLM. */
  Script writeScript(PipelineRequest request);

  /** Draws one scene with an image model; returns the image's location. */
  String drawScene(String sceneDescription, int sceneNumber);

  /** Animates one drawing with a video model; returns the clip's location. */
  String animateScene(
      String image, int sceneNumber, int seconds, String videoModel, boolean withAudio);

  /** Voices the narration with a speech model; returns the audio's location. */
  String voiceOver(String narration);
}
