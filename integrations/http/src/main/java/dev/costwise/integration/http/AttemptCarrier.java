package dev.costwise.integration.http;

import dev.costwise.usage.CostUsage;
import dev.costwise.usage.UsageScope;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Carries the caller's activity attempt to the transport for asynchronous calls. The SDKs'
 * asynchronous services (openai-java, anthropic-java) hand a request to the transport from a pool
 * thread, where the attempt bound to the caller's thread is not visible; so the client and its
 * services are wrapped in proxies that, on an asynchronous call made inside an attempt, tag the
 * request's parameters with an opaque token naming that attempt (through the {@code
 * toBuilder().putAdditionalHeader(..).build()} every params class of these SDKs has). The transport
 * resolves the token and removes the header before the request leaves the process. Tokens of ended
 * attempts are forgotten.
 */
public final class AttemptCarrier {
  /** Request header carrying the token; never sent to the provider. */
  public static final String HEADER = "X-Costwise-Attempt";

  /**
   * What an SDK looks like: its params base type, the packages whose interfaces (clients, services)
   * are proxied, and the class names of asynchronous results.
   */
  public record Sdk(Class<?> paramsType, List<String> packages, Set<String> asyncResults) {}

  private static final Map<String, UsageScope> PENDING = new ConcurrentHashMap<>();

  private AttemptCarrier() {}

  /** The attempt a token names, or null. */
  public static UsageScope resolve(String token) {
    return token == null ? null : PENDING.get(token);
  }

  /** {@code target} (an SDK client or service interface) behind a carrying proxy. */
  @SuppressWarnings("unchecked")
  public static <T> T proxy(Class<T> type, T target, Sdk sdk) {
    return (T)
        Proxy.newProxyInstance(
            type.getClassLoader(), new Class<?>[] {type}, new Handler(target, sdk));
  }

  private static boolean wrapsResult(Class<?> type, Sdk sdk) {
    if (!type.isInterface()) {
      return false;
    }
    String name = type.getName();
    return sdk.packages().stream().anyMatch(name::startsWith);
  }

  private static boolean isAsyncResult(Class<?> type, Sdk sdk) {
    return CompletableFuture.class.isAssignableFrom(type)
        || sdk.asyncResults().contains(type.getName());
  }

  private static String register(UsageScope scope) {
    if (PENDING.size() > 64) {
      PENDING.values().removeIf(UsageScope::isClosed);
    }
    String token = UUID.randomUUID().toString();
    PENDING.put(token, scope);
    return token;
  }

  /** {@code params} with the token header added, through the builder every params class has. */
  private static Object tag(Object params, String token) {
    try {
      Object builder = params.getClass().getMethod("toBuilder").invoke(params);
      builder
          .getClass()
          .getMethod("putAdditionalHeader", String.class, String.class)
          .invoke(builder, HEADER, token);
      return builder.getClass().getMethod("build").invoke(builder);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return params; // an unusual params class: the call runs untracked rather than failing
    }
  }

  private static final class Handler implements InvocationHandler {
    private final Object target;
    private final Sdk sdk;
    private final Map<Method, Object> services = new ConcurrentHashMap<>();

    Handler(Object target, Sdk sdk) {
      this.target = target;
      this.sdk = sdk;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          default -> "Costwise(" + target + ")";
        };
      }
      Class<?> result = method.getReturnType();
      if (args != null
          && args.length > 0
          && sdk.paramsType().isInstance(args[0])
          && isAsyncResult(result, sdk)
          && CostUsage.isTracking()) {
        args = args.clone();
        args[0] = tag(args[0], register(CostUsage.currentScope()));
      }
      Object value;
      try {
        value = method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (value != null && wrapsResult(result, sdk) && result.isInstance(value)) {
        if (method.getParameterCount() != 0) {
          return proxyOf(result, value);
        }
        // a service accessor returns the same service each time; so does its proxy
        Object known = services.get(method);
        if (known != null
            && Proxy.getInvocationHandler(known) instanceof Handler h
            && h.target == value) {
          return known;
        }
        Object wrapped = proxyOf(result, value);
        services.put(method, wrapped);
        return wrapped;
      }
      return value;
    }

    @SuppressWarnings("unchecked")
    private <T> T proxyOf(Class<T> type, Object value) {
      return proxy(type, (T) value, sdk);
    }
  }
}
