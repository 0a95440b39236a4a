package dev.costwise.worker.http;

import dev.costwise.pricing.Money;
import dev.costwise.report.Csv;
import dev.costwise.store.StepRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes step rows as RFC 4180 CSV, money as exact decimals, one line per usage record; text a
 * spreadsheet would run as a formula is neutralised as {@link Csv} does.
 */
public final class StepsCsv {
  /** The header line's columns, in order. */
  public static final List<String> COLUMNS =
      List.of(
          "recorded_at",
          "started_at",
          "namespace",
          "workflow_id",
          "workflow_type",
          "run_id",
          "activity_type",
          "activity_id",
          "attempt",
          "line_no",
          "outcome",
          "provider",
          "model",
          "priced_model",
          "priced",
          "cost_usd",
          "input_tokens",
          "output_tokens",
          "cache_read_tokens",
          "cache_write_tokens",
          "reasoning_tokens",
          "images",
          "image_size",
          "image_quality",
          "video_seconds",
          "video_with_audio",
          "characters",
          "audio_seconds",
          "unpriced_reason",
          "tags");

  private StepsCsv() {}

  /** Writes the header and every row. */
  public static void write(Stream<StepRow> rows, Writer out) throws IOException {
    out.write(String.join(",", COLUMNS));
    out.write("\r\n");
    try {
      rows.forEach(
          r -> {
            try {
              line(
                  out,
                  r.recordedAt(),
                  r.startedAt(),
                  r.namespace(),
                  r.workflowId(),
                  r.workflowType(),
                  r.runId(),
                  r.activityType(),
                  r.activityId(),
                  r.attempt(),
                  r.lineNo(),
                  r.outcome(),
                  r.provider(),
                  r.model(),
                  r.pricedModel(),
                  r.priced(),
                  r.costUsd(),
                  r.inputTokens(),
                  r.outputTokens(),
                  r.cacheReadTokens(),
                  r.cacheWriteTokens(),
                  r.reasoningTokens(),
                  r.images(),
                  r.imageSize(),
                  r.imageQuality(),
                  r.videoSeconds(),
                  r.videoWithAudio(),
                  r.characters(),
                  r.audioSeconds(),
                  r.unpricedReason(),
                  r.tags());
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static void line(Writer out, Object... values) throws IOException {
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        out.write(',');
      }
      out.write(field(values[i]));
    }
    out.write("\r\n");
  }

  static String field(Object v) {
    if (v == null) {
      return "";
    }
    return Csv.escape(v instanceof BigDecimal d ? Money.plain(d) : v.toString());
  }
}
