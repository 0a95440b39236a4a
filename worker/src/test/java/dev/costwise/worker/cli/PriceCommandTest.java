package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.costwise.worker.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PriceCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void quotesTokensWithBreakdown() {
    int status =
        run("price", "--model", "gpt-4o", "--input-tokens", "1200", "--output-tokens", "300");
    assertThat(status).isZero();
    // 1200 * 2.50/M + 300 * 10.00/M
    assertThat(out.toString())
        .contains("input       $0.003", "output      $0.003", "total     $0.006", "gpt-4o");
  }

  @Test
  void quotesAServiceTierAndAudioTokensAndSaysWhichPriceApplied() throws Exception {
    int status =
        run(
            "price",
            "--model",
            "gpt-4o",
            "--input-tokens",
            "1000000",
            "--service-tier",
            "batch",
            "--json");
    assertThat(status).as(err.toString()).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(new BigDecimal(json.get("totalUsd").asText())).isEqualByComparingTo("1.25");
    assertThat(json.get("serviceTier").asText()).isEqualTo("batch");
    assertThat(json.get("priceEntry").asText()).isEqualTo("gpt-4o");
    assertThat(json.get("catalog").get("hash").asText()).hasSize(16);

    status =
        run(
            "price",
            "--model",
            "gpt-4o-audio-preview",
            "--audio-input-tokens",
            "10000",
            "--audio-output-tokens",
            "5000");
    assertThat(status).as(err.toString()).isZero();
    assertThat(out.toString()).contains("audio_input $0.4", "audio_output $0.4", "total     $0.8");
  }

  @Test
  void jsonCarriesExactDecimalsForEveryMediaKind() throws Exception {
    int status =
        run(
            "price",
            "--model",
            "veo-3.0-generate-001",
            "--video-seconds",
            "8",
            "--with-audio",
            "--json");
    assertThat(status).as(err.toString()).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(new BigDecimal(json.get("totalUsd").asText())).isEqualByComparingTo("3.20");
    assertThat(json.get("breakdownUsd").get("video").asText()).isEqualTo("3.2");
  }

  @Test
  void providerPrefixAndDatedSnapshotResolve() {
    assertThat(run("price", "--model", "openai/gpt-4o-2024-08-06", "--input-tokens", "1000000"))
        .isZero();
    assertThat(out.toString()).contains("total     $2.5");
  }

  @Test
  void unknownModelExitsNonZeroWithSuggestion() {
    int status = run("price", "--model", "gpt-4oo", "--input-tokens", "10");
    assertThat(status).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown model", "gpt-4oo", "did you mean");
    assertThat(out.toString()).doesNotContain("total");
  }

  @Test
  void negativeOrNonNumericCountsAreRejectedClearly() {
    assertThat(run("price", "--model", "gpt-4o", "--input-tokens", "-5")).isEqualTo(2);
    assertThat(err.toString()).contains("inputTokens", "-5", "zero or positive");
    err.getBuffer().setLength(0);
    assertThat(run("price", "--model", "gpt-4o", "--input-tokens", "lots")).isEqualTo(2);
    assertThat(err.toString()).contains("--input-tokens", "lots");
  }

  @Test
  void priceFileAddsAModelAndMalformedFileIsAClearError(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("prices.json");
    Files.writeString(
        file,
        """
        {"source": "our contract", "asOf": "2026-11-01",
         "models": [{"id": "house-llm", "provider": "acme", "prices": {"inputPerMTok": "1.10", "outputPerMTok": "4.40"}}]}
        """);
    assertThat(
            run(
                "price",
                "--price-file",
                file.toString(),
                "--model",
                "house-llm",
                "--input-tokens",
                "1000",
                "--output-tokens",
                "1000"))
        .isZero();
    assertThat(out.toString()).contains("total     $0.0055");

    Files.writeString(
        file, "{\"models\": [ {\"id\": \"broken\", \"prices\": {\"inputPerMTok\": \"-1\"}} ]}");
    assertThat(
            run(
                "price",
                "--price-file",
                file.toString(),
                "--model",
                "gpt-4o",
                "--input-tokens",
                "1"))
        .isNotZero();
    assertThat(err.toString()).contains("prices.json", "negative");
  }
}
