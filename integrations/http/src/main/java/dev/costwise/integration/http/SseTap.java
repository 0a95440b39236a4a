package dev.costwise.integration.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Passes a server-sent-events body through unchanged while parsing its events as the reader
 * consumes them, handing each to a listener; the end of the stream (end of input, or close by the
 * reader, whichever comes first) is reported once. Lines longer than {@link #MAX_LINE} bytes are
 * dropped, so a misbehaving server cannot make the tap hold unbounded memory.
 */
public final class SseTap extends InputStream {
  /** Longest event line the tap keeps, in bytes. */
  public static final int MAX_LINE = 4 * 1024 * 1024;

  /** Receives the parsed events. Called on the thread that reads the body. */
  public interface Listener {
    /** One event: its {@code event:} name (null when absent) and joined {@code data:} lines. */
    void onEvent(String event, String data);

    /**
     * The stream ended; {@code complete} is false when the reader closed it before its end or
     * reading it failed.
     */
    void onEnd(boolean complete);
  }

  private final InputStream in;
  private final Listener listener;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private boolean lineTooLong;
  private String event;
  private StringBuilder data;
  private boolean ended;

  /** Taps {@code in} for {@code listener}. */
  public SseTap(InputStream in, Listener listener) {
    this.in = in;
    this.listener = listener;
  }

  @Override
  public int read() throws IOException {
    int b;
    try {
      b = in.read();
    } catch (IOException | RuntimeException e) {
      end(false);
      throw e;
    }
    if (b < 0) {
      end(true);
    } else {
      consume(b);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n;
    try {
      n = in.read(buf, off, len);
    } catch (IOException | RuntimeException e) {
      end(false);
      throw e;
    }
    if (n < 0) {
      end(true);
      return n;
    }
    for (int i = 0; i < n; i++) {
      consume(buf[off + i] & 0xff);
    }
    return n;
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  @Override
  public void close() throws IOException {
    try {
      in.close();
    } finally {
      end(false);
    }
  }

  private void consume(int b) {
    if (b == '\n') {
      String text = lineTooLong ? null : line.toString(StandardCharsets.UTF_8);
      line.reset();
      lineTooLong = false;
      if (text != null) {
        onLine(text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
      }
    } else if (!lineTooLong) {
      if (line.size() >= MAX_LINE) {
        lineTooLong = true;
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  private void onLine(String text) {
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.startsWith(":")) {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (field.equals("event")) {
      event = value;
    } else if (field.equals("data")) {
      if (data == null) {
        data = new StringBuilder(value);
      } else if (data.length() + value.length() < MAX_LINE) {
        data.append('\n').append(value);
      }
    }
  }

  private void dispatch() {
    if (data != null) {
      String e = event;
      String d = data.toString();
      event = null;
      data = null;
      try {
        listener.onEvent(e, d);
      } catch (RuntimeException ignored) {
        // a listener bug must not break the caller's stream
      }
    } else {
      event = null;
    }
  }

  private void end(boolean complete) {
    if (ended) {
      return;
    }
    ended = true; // an event not closed by a blank line is discarded, as the SSE format says
    try {
      listener.onEnd(complete);
    } catch (RuntimeException ignored) {
      // as above
    }
  }
}
