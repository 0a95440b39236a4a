package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.TestDatabase;
import dev.costwise.worker.CliErrors;
import dev.costwise.worker.Main;
import dev.costwise.worker.TestWorkers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command exits as its {@code --help} says, including picocli's own parse errors, and every
 * error is one bounded line that names what was wrong.
 */
class ExitCodesTest {
  /** Bound on everything a failed command prints to standard error. */
  private static final int ERR_LIMIT = CliErrors.MESSAGE_LIMIT + 200;

  record Result(int status, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int status = cli.execute(args);
    return new Result(status, out.toString(), err.toString());
  }

  /** Every command and subcommand but picocli's own {@code help}, with its path of names. */
  static List<List<String>> commands() {
    List<List<String>> all = new ArrayList<>();
    walk(Main.commandLine(), new ArrayList<>(), all);
    return all;
  }

  private static void walk(CommandLine cmd, List<String> path, List<List<String>> all) {
    if (cmd.getCommandSpec().userObject() instanceof CommandLine.HelpCommand) {
      return;
    }
    all.add(List.copyOf(path));
    cmd.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (sub.getCommandName().equals(name)) {
                List<String> p = new ArrayList<>(path);
                p.add(name);
                walk(sub, p, all);
              }
            });
  }

  /** The exit statuses {@code path}'s help lists. */
  static Set<Integer> documented(List<String> path) {
    CommandLine cmd = Main.commandLine();
    for (String name : path) {
      cmd = cmd.getSubcommands().get(name);
    }
    return cmd.getCommandSpec().usageMessage().exitCodeList().keySet().stream()
        .map(k -> Integer.parseInt(k.strip()))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static String[] args(List<String> path, String... more) {
    List<String> a = new ArrayList<>(path);
    a.addAll(Arrays.asList(more));
    return a.toArray(String[]::new);
  }

  @Test
  void everyCommandDocumentsItsExitStatusesAndHelpAndBadOptionsExitAsDocumented() {
    List<List<String>> commands = commands();
    assertThat(commands).hasSizeGreaterThan(15);
    for (List<String> path : commands) {
      String name = path.isEmpty() ? "costwise" : String.join(" ", path);
      Set<Integer> codes = documented(path);
      assertThat(codes).as(name).contains(0, 2);

      Result help = run(args(path, "--help"));
      assertThat(help.status()).as(name + " --help").isZero();
      assertThat(help.out()).as(name + " --help").contains("Exit status");

      Result bad = run(args(path, "--no-such-option-" + "z".repeat(5_000)));
      assertThat(bad.status()).as(name + " with an unknown option").isEqualTo(2);
      assertThat(bad.err()).as(name).contains("--help").hasSizeLessThan(ERR_LIMIT);
      assertThat(bad.err()).doesNotContain("z".repeat(CliErrors.ECHO_LIMIT + 1));
    }
    assertThat(run("help").status()).isZero();
    assertThat(run("help", "no-such-command").status()).isIn(documented(List.of()));
    assertThat(run().status()).isEqualTo(2);
  }

  @Test
  void anAbsurdDecimalIsRefusedBeforeAnyArithmeticWithAShortMessage() {
    for (String absurd :
        List.of("1e999999999", "1e-999999999", "-1e2147483647", "9".repeat(100_000), "0x10")) {
      Result r =
          run("price", "--model", "veo-3.0-generate-001", "--video-seconds", absurd, "--json");
      assertThat(r.status()).as(absurd.substring(0, Math.min(20, absurd.length()))).isEqualTo(2);
      assertThat(documented(List.of("price"))).contains(2);
      assertThat(r.err()).contains("--video-seconds").hasSizeLessThan(300);
      assertThat(r.out()).isEmpty();
    }
    Result longCount = run("price", "--model", "gpt-4o", "--input-tokens", "9".repeat(1_000_000));
    assertThat(longCount.status()).isEqualTo(2);
    assertThat(longCount.err()).contains("--input-tokens").hasSizeLessThan(300);
    Result budget =
        run(
            "budget",
            "create",
            "--name",
            "b",
            "--period",
            "daily",
            "--scope",
            "tag=tenant:acme",
            "--limit-usd",
            "1e999999999",
            "--threshold",
            "100:block");
    assertThat(budget.status()).isEqualTo(2);
    assertThat(budget.err()).contains("--limit-usd").hasSizeLessThan(300);
    // a sane value still prices
    assertThat(
            run("price", "--model", "veo-3.0-generate-001", "--video-seconds", "8.5", "--json")
                .status())
        .isZero();
  }

  @Test
  void errorLinesKeepTheirShapeButNotUnboundedInput() {
    String path = "/" + "deep/".repeat(100) + "prices.json";
    String line = CliErrors.bounded("Price file " + path + " is not valid JSON");
    assertThat(line)
        .startsWith("Price file /deep/deep/")
        .contains("prices.json is not valid JSON", "(" + path.length() + " characters)")
        .hasSizeLessThan(200);
    assertThat(CliErrors.bounded("a\u0000b\nc")).isEqualTo("a?b?c");
    assertThat(CliErrors.bounded("word ".repeat(1_000))).hasSizeLessThanOrEqualTo(603);
  }

  @Test
  void aDeeplyNestedPriceFileIsABadFileNamingTheFileAndTheEntry(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("nested-prices.json");
    Files.writeString(
        file,
        "{\"models\": [{\"id\": \"x\", \"prices\": "
            + "{\"a\":".repeat(5_000)
            + "1"
            + "}".repeat(5_000)
            + "}]}");
    for (List<String> path : List.of(List.of("price"), List.of("catalog", "show"))) {
      Result r = run(priceArgs(path, file));
      assertThat(r.status()).as(path.toString()).isEqualTo(2);
      assertThat(documented(path)).contains(2);
      assertThat(r.err())
          .contains("nested-prices.json", "line 1", "/models/0/prices", "nesting depth")
          .doesNotContain("Cannot invoke", "null")
          .hasSizeLessThan(ERR_LIMIT);
    }
  }

  private static String[] priceArgs(List<String> path, Path file) {
    return path.get(0).equals("price")
        ? new String[] {"price", "--price-file", file.toString(), "--model", "gpt-4o"}
        : new String[] {"catalog", "show", "--price-file", file.toString(), "gpt-4o"};
  }

  @Test
  void whatCommandsReturnIsWhatTheirHelpSays(@TempDir Path dir) throws Exception {
    String database; // a real, empty cost database
    try (java.sql.Connection c = TestDatabase.fresh().getConnection()) {
      database = TestDatabase.jdbcUrl(c.getCatalog());
    }
    String unreachable = "jdbc:postgresql://127.0.0.1:" + TestWorkers.freePort() + "/none";
    Path missing = dir.resolve("no-such-prices.json");
    record Case(List<String> command, int status, String... args) {}
    List<Case> cases =
        List.of(
            new Case(List.of("price"), 2, "price", "--model", "gpt-4oo"),
            new Case(
                List.of("price"), 2, "price", "--model", "gpt-4o", "--price-file", "" + missing),
            new Case(List.of("catalog"), 2, "catalog"),
            new Case(List.of("catalog", "show"), 2, "catalog", "show", "no-such-model"),
            new Case(
                List.of("catalog", "import"),
                2,
                "catalog",
                "import",
                "" + missing,
                "" + dir.resolve("out.json"),
                "--source",
                "s",
                "--as-of",
                "2026-11-01"),
            new Case(List.of("report"), 2, "report"),
            new Case(
                List.of("report", "execution"),
                3,
                "report",
                "execution",
                "no-such-run",
                "--database-url",
                database),
            new Case(
                List.of("report", "totals"), 1, "report", "totals", "--database-url", unreachable),
            new Case(
                List.of("report", "steps"), 2, "report", "steps", "--database-url", "mysql://x"),
            new Case(List.of("budget", "list"), 1, "budget", "list", "--database-url", unreachable),
            new Case(
                List.of("budget", "delete"),
                2,
                "budget",
                "delete",
                "no-such-budget",
                "--database-url",
                database),
            new Case(
                List.of("estimate"),
                1,
                "estimate",
                "--workflow-type",
                "ContentPipeline",
                "--database-url",
                unreachable),
            new Case(List.of("estimate"), 2, "estimate", "--database-url", database),
            new Case(List.of("run"), 2, "run", "--http-port", "99999"),
            new Case(List.of("demo"), 2, "demo", "--http-port", "99999"));
    for (Case c : cases) {
      Result r = run(c.args());
      String what = String.join(" ", c.args());
      assertThat(r.status()).as(what + "\n" + r.err()).isEqualTo(c.status());
      assertThat(documented(c.command())).as(what).contains(c.status());
      assertThat(r.err()).as(what).isNotBlank().hasSizeLessThan(ERR_LIMIT);
    }
  }
}
