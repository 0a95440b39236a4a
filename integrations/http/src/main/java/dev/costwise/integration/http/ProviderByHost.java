package dev.costwise.integration.http;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The provider that bills a call, told by the host of the endpoint a client talks to (OpenAI or
 * Azure, Anthropic or Bedrock or Vertex), remembered per base URL since a client uses one or a few.
 */
public final class ProviderByHost {
  private static final int MAX_REMEMBERED = 256;

  private final String fallback;
  private final UnaryOperator<String> byHost;
  private final Map<String, String> known = new ConcurrentHashMap<>();

  /**
   * @param fallback the provider when the URL has no host
   * @param byHost the provider for a lower-case host name
   */
  public ProviderByHost(String fallback, UnaryOperator<String> byHost) {
    this.fallback = fallback;
    this.byHost = byHost;
  }

  /** The provider for {@code baseUrl}; the fallback when it is null or has no host. */
  public String of(String baseUrl) {
    if (baseUrl == null) {
      return fallback;
    }
    String found = known.get(baseUrl);
    if (found != null) {
      return found;
    }
    if (known.size() > MAX_REMEMBERED) {
      known.clear();
    }
    String host;
    try {
      host = URI.create(baseUrl).getHost();
    } catch (IllegalArgumentException e) {
      host = null;
    }
    found = host == null ? fallback : byHost.apply(host.toLowerCase(Locale.ROOT));
    known.put(baseUrl, found);
    return found;
  }
}
