package dev.costwise.temporal.internal;

import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.interceptors.Header;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;

/**
 * Carries an activity's grant, what its run reserved for it, from the workflow to the activity in a
 * header (runs of {@link BudgetGuard#SETTLING_IN_BATCHES} on). An attempt that costs more, or that
 * is not the activity's first, tells its run before it completes (see {@link
 * BudgetGuard#SETTLE_SIGNAL}); one within the grant says nothing, and its run settles it later with
 * others. The amount is a plain decimal string, so it stays exact.
 */
final class GrantHeader {
  static final String KEY = "costwise-grant";
  private static final DataConverter JSON = DefaultDataConverter.STANDARD_INSTANCE;

  private GrantHeader() {}

  static Header with(Header header, Payload grant) {
    Map<String, Payload> values = new HashMap<>(header.getValues());
    values.put(KEY, grant);
    return new Header(values);
  }

  /** The header value of a grant of {@code usd}. */
  static Payload encode(BigDecimal usd) {
    return JSON.toPayload(usd.toPlainString()).orElseThrow();
  }

  /** The grant in {@code header}, or null when there is none or it cannot be read. */
  static BigDecimal read(Header header) {
    Payload p = header == null ? null : header.getValues().get(KEY);
    if (p == null) {
      return null;
    }
    try {
      BigDecimal usd = new BigDecimal(JSON.fromPayload(p, String.class, String.class));
      return usd.signum() > 0 ? usd : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
