package dev.costwise.integration.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Server-sent events parsed as the body passes through, unchanged. */
class SseTapTest {
  private final List<String> events = new ArrayList<>();
  private final List<Boolean> ends = new ArrayList<>();

  private InputStream tap(String text) {
    return new SseTap(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
        new SseTap.Listener() {
          @Override
          public void onEvent(String event, String data) {
            events.add(event + "|" + data);
          }

          @Override
          public void onEnd(boolean complete) {
            ends.add(complete);
          }
        });
  }

  @Test
  void eventsArePassedThroughAndParsed() throws Exception {
    String text =
        "event: a\r\ndata: {\"x\":1}\r\n\r\n: comment\ndata: one\ndata: two\n\ndata: last";
    InputStream in = tap(text);
    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(text);
    in.close();
    assertThat(events).containsExactly("a|{\"x\":1}", "null|one\ntwo"); // "last" never ended
    assertThat(ends).containsExactly(true);
  }

  @Test
  void aStreamClosedEarlyEndsIncompleteOnce() throws Exception {
    InputStream in = tap("data: one\n\ndata: two\n\n");
    in.read(new byte[12]);
    in.close();
    in.close();
    assertThat(events).containsExactly("null|one");
    assertThat(ends).containsExactly(false);
  }

  @Test
  void multipartFieldIsFound() {
    String form =
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"model\"\r\n\r\nxx\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--b--\r\n";
    assertThat(Multipart.field(form.getBytes(StandardCharsets.UTF_8), "model"))
        .isEqualTo("whisper-1");
    assertThat(Multipart.field(new byte[0], "model")).isNull();
  }
}
