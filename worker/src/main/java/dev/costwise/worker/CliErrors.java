package dev.costwise.worker;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception escaping a command into one clear line on standard error and exit status 1;
 * the stack trace is printed only with {@code COSTWISE_DEBUG=1}.
 */
public final class CliErrors implements IExecutionExceptionHandler {
  /**
   * Exit status for an error in what the user asked (bad input, unknown model, bad configuration).
   */
  public static final int USAGE_ERROR = 2;

  /** Exit status for a failure while doing it (service unreachable, I/O). */
  public static final int FAILURE = 1;

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    cmd.getErr().println("costwise " + cmd.getCommandName() + ": " + message(e));
    if ("1".equals(System.getenv("COSTWISE_DEBUG"))) {
      e.printStackTrace(cmd.getErr());
    }
    return e instanceof IllegalArgumentException ? USAGE_ERROR : FAILURE;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    Throwable c = e.getCause();
    while ((m == null || m.isBlank()) && c != null) {
      m = c.getMessage();
      c = c.getCause();
    }
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
