package dev.costwise.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.costwise.usage.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogSourceTest {
  @TempDir Path dir;

  private Path write(String name, String json) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, json);
    return file;
  }

  private static Cost price(CatalogSource source, String model, long input) {
    return Pricer.of(source.get()).price(Usage.of("", model).inputTokens(input).build());
  }

  @Test
  void overrideFileAddsNewModelsAndReplacesBundledOnes() throws Exception {
    Path file =
        write(
            "prices.json",
            """
            {"source": "negotiated contract", "asOf": "2026-10-01",
             "models": [
               {"id": "gpt-4o", "provider": "openai", "prices": {"inputPerMTok": "2.00", "outputPerMTok": "8.00"}},
               {"id": "house-llm", "prices": {"inputPerMTok": "0.40", "outputPerMTok": "0.40"}}],
             "aliases": {"prod-chat": "house-llm"}}
            """);
    CatalogSource source = CatalogSource.bundled(file);
    assertThat(price(source, "gpt-4o", 1_000_000).total()).isEqualByComparingTo("2.00");
    assertThat(price(source, "prod-chat", 1_000_000).total()).isEqualByComparingTo("0.40");
    assertThat(price(source, "gpt-4o-mini", 1_000_000).total())
        .isEqualByComparingTo("0.15"); // untouched bundled entry
    assertThat(source.get().byId("gpt-4o").orElseThrow().source()).contains("negotiated contract");
  }

  @Test
  void malformedOverrideFilesFailWithWhereAndWhat() throws Exception {
    assertThatThrownBy(
            () -> CatalogSource.bundled(write("a.json", "{\"models\": [ {\"id\": \"x\", ")))
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("a.json")
        .hasMessageContaining("line 1");
    assertThatThrownBy(
            () ->
                CatalogSource.bundled(
                    write(
                        "b.json",
                        "{\"models\": [{\"id\": \"x\", \"prices\": {\"inputPerMTok\": \"cheap\"}}]}")))
        .hasMessageContaining(
            "b.json, models[0] ('x') inputPerMTok: 'cheap' is not a decimal number");
    assertThatThrownBy(
            () ->
                CatalogSource.bundled(
                    write(
                        "c.json",
                        "{\"models\": [{\"id\": \"x\", \"prices\": {\"inputPerToken\": \"1\"}}]}")))
        .hasMessageContaining("unknown price \"inputPerToken\"");
    assertThatThrownBy(
            () -> CatalogSource.bundled(write("d.json", "{\"models\": [{\"id\": \"x\"}]}")))
        .hasMessageContaining("no price given");
    assertThatThrownBy(() -> CatalogSource.bundled(dir.resolve("missing.json")))
        .hasMessageContaining("does not exist");
  }

  @Test
  void reloadPicksUpEditsAndKeepsThePreviousCatalogWhenTheEditIsBroken() throws Exception {
    Path file =
        write(
            "prices.json",
            "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": \"1\"}}]}");
    CatalogSource source = CatalogSource.bundled(file);
    assertThat(price(source, "house-llm", 1_000_000).total()).isEqualByComparingTo("1");

    Files.writeString(
        file, "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": \"2\"}}]}");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(source.reloadIfChanged()).isTrue();
    assertThat(price(source, "house-llm", 1_000_000).total()).isEqualByComparingTo("2");

    Files.writeString(file, "{ not json");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
    assertThatThrownBy(source::reloadIfChanged)
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("line 1");
    assertThat(price(source, "house-llm", 1_000_000).total()).isEqualByComparingTo("2");
    assertThat(source.reloadIfChanged())
        .as("a broken edit is reported once, not on every poll")
        .isFalse();
    assertThatThrownBy(source::reload).isInstanceOf(CatalogException.class);
    assertThat(price(source, "house-llm", 1_000_000).total()).isEqualByComparingTo("2");
  }

  private void edit(Path file, String json, int secondsLater) throws Exception {
    Files.writeString(file, json);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(secondsLater)));
  }

  @Test
  void aReloadRefusesPricesTheStoreCannotHoldAndKeepsThePreviousCatalog() throws Exception {
    Path file =
        write(
            "prices.json",
            "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": \"1\"}}]}");
    CatalogSource source = CatalogSource.bundled(file);

    edit(
        file,
        "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": \"1e999999999\"}}]}",
        5);
    assertThatThrownBy(source::reloadIfChanged)
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("models[0] ('house-llm') inputPerMTok")
        .hasMessageContaining("above the highest accepted price 1000000")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));

    edit(
        file,
        "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": 1e999999999}}]}",
        10);
    assertThatThrownBy(source::reloadIfChanged)
        .hasMessageContaining("above the highest accepted price")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));

    edit(
        file,
        "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": \"123456789012345678901234567890\"}}]}",
        15);
    assertThatThrownBy(source::reloadIfChanged).hasMessageContaining("above the highest");

    edit(
        file,
        "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": \"1e-999999999\"}}]}",
        20);
    assertThatThrownBy(source::reloadIfChanged).hasMessageContaining("more than 30 decimal places");

    edit(
        file,
        "{\"models\": [{\"id\": \"house-llm\", \"prices\": {\"inputPerMTok\": \"2\"}},"
            + " {\"id\": \"House-LLM\", \"prices\": {\"inputPerMTok\": \"3\"}}]}",
        25);
    assertThatThrownBy(source::reloadIfChanged)
        .hasMessageContaining("models[1] ('House-LLM'): duplicate id, already given at models[0]");

    assertThat(price(source, "house-llm", 1_000_000).total())
        .as("every broken edit kept the catalog in force")
        .isEqualByComparingTo("1");
  }

  @Test
  void aDeeplyNestedPriceFileFailsWithItsNameNotANullPointer() throws Exception {
    Path file = write("deep.json", "[".repeat(5_000) + "]".repeat(5_000));
    assertThatThrownBy(() -> CatalogSource.bundled(file))
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("deep.json")
        .hasMessageNotContaining("null")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
  }
}
