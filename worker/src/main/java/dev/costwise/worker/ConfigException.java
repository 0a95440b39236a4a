package dev.costwise.worker;

/**
 * A setting is missing or malformed. The message names the setting, its environment variable or
 * flag, and what a good value looks like; the command line prints it as one line and exits with 2.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public ConfigException(String message) {
    super(message);
  }
}
