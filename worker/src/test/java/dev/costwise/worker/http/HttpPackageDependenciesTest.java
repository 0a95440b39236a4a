package dev.costwise.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The HTTP server depends on its own small interface ({@link HttpBackend}) and exception ({@link
 * HttpStartException}), never on the worker that runs it. Read from the sources (the module's
 * folder is the working directory of its tests), since a constant of another class leaves no trace
 * in the compiled one.
 */
class HttpPackageDependenciesTest {
  private static final Path SOURCES = Path.of("src/main/java/dev/costwise/worker/http");
  private static final Pattern WORKER_NAME = Pattern.compile("dev\\.costwise\\.worker\\.(\\w+)");

  @Test
  void theHttpPackageNamesNoClassOfTheWorkerPackage() throws IOException {
    assertThat(SOURCES.resolve("HttpApi.java")).exists();
    List<String> used = new ArrayList<>();
    try (Stream<Path> files = Files.list(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Matcher m = WORKER_NAME.matcher(Files.readString(file));
        while (m.find()) {
          if (!m.group(1).equals("http")) {
            used.add(file.getFileName() + " names " + m.group());
          }
        }
      }
    }
    assertThat(used).isEmpty();
  }
}
