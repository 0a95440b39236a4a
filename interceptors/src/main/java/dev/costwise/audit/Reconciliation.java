package dev.costwise.audit;

import dev.costwise.pricing.ModelPrice;
import dev.costwise.pricing.PriceCatalog;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * Compares a provider's exported cost with what Costwise recorded for the same days, per model and
 * day. Model names of both sides lose a dated snapshot suffix and are resolved through the catalog
 * ({@code gpt-4o-2024-08-06} and {@code gpt-4o} meet); recorded figures are the daily rollup's
 * (days are UTC days of recording).
 */
public final class Reconciliation {
  private Reconciliation() {}

  /** One model on one day: what the provider billed and what was recorded (zero when absent). */
  public record Gap(LocalDate day, String model, BigDecimal invoiced, BigDecimal recorded) {
    /** Invoiced minus recorded: positive when the provider billed more than was recorded. */
    public BigDecimal difference() {
      return invoiced.subtract(recorded);
    }
  }

  /** Every model and day of the period, sorted, with the totals. */
  public record Result(
      LocalDate from, LocalDate to, List<Gap> gaps, BigDecimal invoiced, BigDecimal recorded) {
    /** Invoiced minus recorded over the period. */
    public BigDecimal difference() {
      return invoiced.subtract(recorded);
    }
  }

  /** A recorded total of one model on one day. */
  public record Recorded(LocalDate day, String provider, String model, BigDecimal costUsd) {}

  /** SQL of the recorded side. */
  @RegisterConstructorMapper(Recorded.class)
  interface Dao {
    /** Priced cost per day, provider and model in {@code [from, to]}. */
    @SqlQuery(
        """
        SELECT day, provider, model, SUM(cost_usd) AS cost_usd FROM cost_rollup_daily
         WHERE day >= :from AND day <= :to
         GROUP BY day, provider, model
        HAVING SUM(usage_count) != 0
        """)
    List<Recorded> recorded(@Bind("from") LocalDate from, @Bind("to") LocalDate to);
  }

  /**
   * Compares {@code invoice} with what was recorded on its days. With {@code provider} (may be
   * null) only lines recorded for that provider count; without, only models the invoice names.
   */
  public static Result compare(
      Jdbi jdbi, List<InvoiceLine> invoice, PriceCatalog catalog, String provider) {
    if (invoice.isEmpty()) {
      throw new InvoiceException("the invoice has no lines");
    }
    LocalDate from = invoice.get(0).day();
    LocalDate to = from;
    Map<String, BigDecimal[]> byKey = new TreeMap<>();
    Set<String> invoicedModels = new TreeSet<>();
    for (InvoiceLine l : invoice) {
      from = l.day().isBefore(from) ? l.day() : from;
      to = l.day().isAfter(to) ? l.day() : to;
      String model = catalogName(catalog, provider, l.model());
      invoicedModels.add(model);
      slot(byKey, l.day(), model)[0] = slot(byKey, l.day(), model)[0].add(l.costUsd());
    }
    LocalDate start = from;
    LocalDate end = to;
    for (Recorded r : jdbi.withExtension(Dao.class, dao -> dao.recorded(start, end))) {
      String model = catalogName(catalog, r.provider(), r.model());
      boolean counts =
          provider == null
              ? invoicedModels.contains(model)
              : provider.equalsIgnoreCase(r.provider());
      if (counts) {
        BigDecimal[] s = slot(byKey, r.day(), model);
        s[1] = s[1].add(r.costUsd());
      }
    }
    List<Gap> gaps = new ArrayList<>();
    BigDecimal invoiced = BigDecimal.ZERO;
    BigDecimal recorded = BigDecimal.ZERO;
    for (Map.Entry<String, BigDecimal[]> e : byKey.entrySet()) {
      int bar = e.getKey().indexOf('|');
      gaps.add(
          new Gap(
              LocalDate.parse(e.getKey().substring(0, bar)),
              e.getKey().substring(bar + 1),
              e.getValue()[0],
              e.getValue()[1]));
      invoiced = invoiced.add(e.getValue()[0]);
      recorded = recorded.add(e.getValue()[1]);
    }
    return new Result(from, to, List.copyOf(gaps), invoiced, recorded);
  }

  private static BigDecimal[] slot(Map<String, BigDecimal[]> byKey, LocalDate day, String model) {
    return byKey.computeIfAbsent(
        day + "|" + model, k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
  }

  private static final java.util.regex.Pattern SNAPSHOT =
      java.util.regex.Pattern.compile("(?:[-@](?:\\d{4}-\\d{2}-\\d{2}|\\d{8}))$");

  /**
   * The name both sides are compared under: without a dated snapshot suffix ({@code -2024-08-06},
   * {@code -20241022}), then the catalog id it resolves to, else the name, in lower case. Providers
   * bill snapshots while applications often report the undated name.
   */
  private static String catalogName(PriceCatalog catalog, String provider, String model) {
    String undated = SNAPSHOT.matcher(model.strip()).replaceFirst("");
    return catalog
        .resolve(provider == null ? "" : provider, undated)
        .map(ModelPrice::id)
        .orElse(undated)
        .toLowerCase(Locale.ROOT);
  }
}
