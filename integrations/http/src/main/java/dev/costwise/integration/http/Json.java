package dev.costwise.integration.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reading provider JSON leniently: a body that is not JSON, or lacks a field, yields nothing. */
public final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Largest body read whole to find its usage; larger bodies pass through unread. */
  public static final int MAX_BODY = 32 * 1024 * 1024;

  private Json() {}

  /** The parsed document, or null when {@code text} is not a JSON object. */
  public static JsonNode parse(String text) {
    try {
      JsonNode n = MAPPER.readTree(text);
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The parsed document, or null when {@code bytes} is not a JSON object. */
  public static JsonNode parse(byte[] bytes) {
    try {
      JsonNode n = MAPPER.readTree(bytes);
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** A whole number at {@code field} of {@code node}, 0 when absent, null or not a number. */
  public static long count(JsonNode node, String field) {
    if (node == null) {
      return 0;
    }
    JsonNode v = node.get(field);
    return v != null && v.canConvertToLong() ? Math.max(0, v.asLong()) : 0;
  }

  /** Text at {@code field}, or null. */
  public static String text(JsonNode node, String field) {
    if (node == null) {
      return null;
    }
    JsonNode v = node.get(field);
    return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
  }

  /**
   * The text of top-level field {@code field} of the JSON object in {@code bytes} (such as the
   * model of a request), read without building the document; null when absent, not text or not
   * JSON.
   */
  public static String topLevelText(byte[] bytes, String field) {
    try (JsonParser p = MAPPER.getFactory().createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals(name)) {
          String text = value == JsonToken.VALUE_STRING ? p.getText() : null;
          return text == null || text.isBlank() ? null : text;
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Reads {@code in} whole when it holds at most {@link #MAX_BODY} bytes; otherwise returns the
   * bytes read so far and {@code truncated} true, the rest unread in {@code in}.
   */
  public static Read readBounded(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) >= 0) {
      out.write(buf, 0, n);
      if (out.size() > MAX_BODY) {
        return new Read(out.toByteArray(), true);
      }
    }
    return new Read(out.toByteArray(), false);
  }

  /** Bytes read from a body, and whether more remained unread. */
  public record Read(byte[] bytes, boolean truncated) {}
}
