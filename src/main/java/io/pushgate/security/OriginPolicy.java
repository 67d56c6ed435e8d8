package io.pushgate.security;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Origin allow-list of the public port. Browsers send {@code Origin} with every WebSocket
 * handshake and a page cannot forge it, so the list stops other sites' pages from using a visitor's
 * browser (and cookies, and network position) to connect. A handshake without {@code Origin} is not
 * from a browser page and is let through: any program can forge the header anyway, which is why
 * tokens, not origins, are the authentication.
 */
public final class OriginPolicy {

  private final Set<String> allowed;

  public OriginPolicy(List<String> origins) {
    this.allowed = origins.stream().map(OriginPolicy::normalise).collect(Collectors.toUnmodifiableSet());
  }

  public boolean enabled() {
    return !allowed.isEmpty();
  }

  /** @param origin the handshake's Origin header, null when it has none */
  public boolean allows(String origin) {
    return allowed.isEmpty() || origin == null || allowed.contains(normalise(origin));
  }

  /** Scheme and host are case-insensitive; a trailing slash is not part of an origin. */
  static String normalise(String origin) {
    String o = origin.trim().toLowerCase(Locale.ROOT);
    return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
  }
}
