package dev.costwise.worker;

import dev.costwise.pricing.CatalogException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns an exception escaping a command, or a command line picocli cannot parse, into one clear,
 * bounded line on standard error and the exit status the command's help documents: {@value
 * #USAGE_ERROR} for bad input, {@value #FAILURE} for a failure while doing it. The stack trace is
 * printed only with {@code COSTWISE_DEBUG=1}.
 */
public final class CliErrors implements IExecutionExceptionHandler, IParameterExceptionHandler {
  /**
   * Exit status for an error in what the user asked (bad option, bad input, unknown model, bad
   * configuration, bad price file).
   */
  public static final int USAGE_ERROR = 2;

  /** Exit status for a failure while doing it (service unreachable, I/O). */
  public static final int FAILURE = 1;

  /** The longest run of characters without a space an error line repeats. */
  public static final int ECHO_LIMIT = 80;

  /** The longest error line printed. */
  public static final int MESSAGE_LIMIT = 600;

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + bounded(message(e)));
    if ("1".equals(System.getenv("COSTWISE_DEBUG"))) {
      e.printStackTrace(cmd.getErr());
    }
    return e instanceof IllegalArgumentException || e instanceof CatalogException
        ? USAGE_ERROR
        : FAILURE;
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    err.println(name + ": " + bounded(message(e)));
    if (e instanceof UnmatchedArgumentException u && u.getSuggestions().size() <= 10) {
      boolean fits = u.getSuggestions().stream().allMatch(s -> s.length() <= ECHO_LIMIT);
      if (fits && !u.getSuggestions().isEmpty()) {
        err.println("Did you mean: " + String.join(", ", u.getSuggestions()) + "?");
      }
    }
    err.println("See '" + name + " --help'.");
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * {@code message} fit for one terminal line: control characters shown as '?', every run of more
   * than {@value #ECHO_LIMIT} characters without a space shortened to its start and end (so a long
   * path keeps its file name) with its length noted, at most {@value #MESSAGE_LIMIT} characters in
   * all.
   */
  public static String bounded(String message) {
    StringBuilder b = new StringBuilder();
    String[] words = message.split(" ", -1);
    for (int w = 0; w < words.length; w++) {
      String word = words[w];
      if (w > 0) {
        b.append(' ');
      }
      if (word.length() > ECHO_LIMIT) {
        int tail = ECHO_LIMIT / 4;
        b.append(word, 0, ECHO_LIMIT - tail)
            .append("...(")
            .append(word.length())
            .append(" characters)...")
            .append(word, word.length() - tail, word.length());
      } else {
        b.append(word);
      }
      if (b.length() > MESSAGE_LIMIT) {
        b.setLength(MESSAGE_LIMIT);
        b.append("...");
        break;
      }
    }
    for (int i = 0; i < b.length(); i++) {
      if (Character.isISOControl(b.charAt(i))) {
        b.setCharAt(i, '?');
      }
    }
    return b.toString();
  }

  /** {@code value} as an error may repeat it: at most {@value #ECHO_LIMIT} characters. */
  public static String echo(String value) {
    return value.length() <= ECHO_LIMIT
        ? bounded(value)
        : bounded(value.substring(0, ECHO_LIMIT)) + "...(" + value.length() + " characters)";
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
