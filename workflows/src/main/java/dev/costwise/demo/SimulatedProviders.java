package dev.costwise.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * Stand-ins for the model providers: no network, but the usage they report has the shape and size
 * real providers report for such calls (a four-scene script is about 2,700 prompt tokens and 1,400
 * output tokens; narration about 150 characters per scene). Deterministic: the same request always
 * reports the same usage, so the demo's numbers are reproducible.
 */
public final class SimulatedProviders {
  /** LLM that writes scripts. */
  public static final String LLM_PROVIDER = "anthropic";

  /** LLM model id. */
  public static final String LLM_MODEL = "claude-sonnet-4-5";

  /** Image provider. */
  public static final String IMAGE_PROVIDER = "openai";

  /** Image model id. */
  public static final String IMAGE_MODEL = "dall-e-3";

  /** Image size requested (landscape, for video). */
  public static final String IMAGE_SIZE = "1792x1024";

  /** Image quality requested. */
  public static final String IMAGE_QUALITY = "hd";

  /**
   * What one {@code DrawScene} is expected to cost, declared to the budgets so a capped run
   * reserves it before each drawing: one HD 1792x1024 DALL-E 3 image, $0.12 at OpenAI's published
   * price. The other steps are reserved from their history once they have some.
   */
  public static final String DRAW_SCENE_EXPECTED_USD = "0.12";

  /** Video provider. */
  public static final String VIDEO_PROVIDER = "vertex_ai";

  /** Speech provider. */
  public static final String SPEECH_PROVIDER = "openai";

  /** Speech model id. */
  public static final String SPEECH_MODEL = "tts-1-hd";

  /** The shared system prompt the LLM caches across runs. */
  public static final int SYSTEM_PROMPT_TOKENS = 1_850;

  private SimulatedProviders() {}

  /** What the LLM call to write a script consumed and produced. */
  public record ScriptCall(
      String title,
      List<String> scenes,
      String narration,
      long inputTokens,
      long cacheReadTokens,
      long outputTokens) {}

  /**
   * Writes a script: the system prompt is read from the provider's cache, the brief is fresh input.
   */
  public static ScriptCall writeScript(PipelineRequest request) {
    int jitter = Math.floorMod(request.topic().hashCode(), 97);
    List<String> scenes = new ArrayList<>();
    StringBuilder narration = new StringBuilder();
    for (int i = 1; i <= request.scenes(); i++) {
      scenes.add(
          "Scene "
              + i
              + " of "
              + request.topic()
              + ": wide establishing shot, golden hour, slow push-in");
      narration
          .append("In scene ")
          .append(i)
          .append(", we follow ")
          .append(request.topic())
          .append(" as the light changes and the story turns toward what comes next. ");
    }
    long input = 220 + 40L * request.scenes() + request.topic().length() * 2L + jitter;
    long output = 180 + 310L * request.scenes() + jitter * 3L;
    return new ScriptCall(
        "A short film about " + request.topic(),
        scenes,
        narration.toString().strip(),
        input,
        SYSTEM_PROMPT_TOKENS,
        output);
  }

  /** Where a generated asset would be stored. */
  public static String asset(String kind, String name) {
    return "memory://costwise-demo/"
        + kind
        + "/"
        + name.replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(java.util.Locale.ROOT);
  }
}
