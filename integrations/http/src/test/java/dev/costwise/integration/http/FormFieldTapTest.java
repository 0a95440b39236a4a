package dev.costwise.integration.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Finding a form field in a multipart body as it is sent, however the bytes are split. */
class FormFieldTapTest {
  private static final String FORM =
      "--b0undary\r\n"
          + "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
          + "Content-Type: application/octet-stream\r\n\r\n"
          + "RIFF\n\u0001\u0002 name=\"model-ish\" audio bytes\r\n".repeat(200)
          + "--b0undary\r\n"
          + "Content-Disposition: form-data; name=\"model\"\r\n\r\n"
          + "whisper-1\r\n"
          + "--b0undary--\r\n";

  @Test
  void theFieldIsFoundWhereverTheChunksBreak() {
    byte[] form = FORM.getBytes(StandardCharsets.ISO_8859_1);
    for (int split = 0; split <= form.length; split += 7) {
      FormFieldTap tap = new FormFieldTap("model");
      tap.accept(form, 0, split);
      tap.accept(form, split, form.length - split);
      assertThat(tap.value()).as("split at %d", split).isEqualTo("whisper-1");
    }
  }

  @Test
  void byteByByteWritesFindItToo() {
    byte[] form = FORM.getBytes(StandardCharsets.ISO_8859_1);
    FormFieldTap tap = new FormFieldTap("model");
    for (int i = 0; i < form.length; i++) {
      tap.accept(form, i, 1);
    }
    assertThat(tap.value()).isEqualTo("whisper-1");
  }

  @Test
  void nothingIsFoundBeforeTheValueIsComplete() {
    byte[] form = FORM.getBytes(StandardCharsets.ISO_8859_1);
    int valueEnd = FORM.indexOf("whisper-1") + "whisper-1".length();
    FormFieldTap tap = new FormFieldTap("model");
    tap.accept(form, 0, valueEnd);
    assertThat(tap.value()).isNull();
    tap.accept(form, valueEnd, form.length - valueEnd);
    assertThat(tap.value()).isEqualTo("whisper-1");
  }

  @Test
  void aFormWithoutTheFieldYieldsNothing() {
    byte[] form =
        FORM.replace("name=\"model\"", "name=\"language\"").getBytes(StandardCharsets.ISO_8859_1);
    FormFieldTap tap = new FormFieldTap("model");
    tap.accept(form, 0, form.length);
    assertThat(tap.value()).isNull();
  }
}
