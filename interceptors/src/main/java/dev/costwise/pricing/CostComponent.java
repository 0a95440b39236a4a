package dev.costwise.pricing;

/** The parts a cost is broken down into, one per usage kind. */
public enum CostComponent {
  INPUT("input"),
  OUTPUT("output"),
  CACHE_READ("cache_read"),
  CACHE_WRITE("cache_write"),
  REASONING("reasoning"),
  IMAGES("images"),
  VIDEO("video"),
  SPEECH("speech"),
  AUDIO("audio"),
  /** One-hour cache writes, priced apart from default-lifetime writes. */
  CACHE_WRITE_1H("cache_write_1h"),
  /** Audio tokens sent to a chat or realtime model. */
  AUDIO_INPUT("audio_input"),
  /** Audio tokens returned by a chat or realtime model. */
  AUDIO_OUTPUT("audio_output"),
  /** Fees charged per API request. */
  REQUESTS("requests"),
  /** Fees charged per web search a model ran. */
  WEB_SEARCH("web_search");

  private final String label;

  CostComponent(String label) {
    this.label = label;
  }

  /** Lower-case name used in JSON, CSV and metric tags. */
  public String label() {
    return label;
  }
}
