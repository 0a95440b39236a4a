package dev.costwise.pricing;

/**
 * Which catalog a cost was priced with: where its figures come from, the date they are as of, and a
 * hash of its content, so that two catalogs with the same label but different prices are told
 * apart.
 *
 * @param source the catalog's label (its layers joined with {@code " + "})
 * @param asOf the latest as-of date of its layers ({@code yyyy-mm-dd}), or empty when none is given
 * @param hash the first 16 hex digits of the SHA-256 of its canonical content
 */
public record CatalogVersion(String source, String asOf, String hash) {
  /** Stands for "not recorded" on rows priced before versions were kept. */
  public static final CatalogVersion UNKNOWN = new CatalogVersion("", "", "");

  /** Oldest as-of date first, then by label and hash: the order reports list versions in. */
  public static final java.util.Comparator<CatalogVersion> ORDER =
      java.util.Comparator.comparing(CatalogVersion::asOf)
          .thenComparing(CatalogVersion::source)
          .thenComparing(CatalogVersion::hash);

  /** Whether anything is known of this version (rows priced before versions were kept are not). */
  public boolean known() {
    return !hash.isEmpty();
  }

  /** Replaces nulls by empty text. */
  public CatalogVersion {
    source = source == null ? "" : source;
    asOf = asOf == null ? "" : asOf;
    hash = hash == null ? "" : hash;
  }
}
