package io.pushgate.security;

import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The headers of every response of the public port, whoever writes it (Vert.x-web's routes, or the
 * shards' handshake refusals, written on the socket before Vert.x sees it): browsers must not guess
 * a content type (a JSON error must never run as a script), and the demo page may load only its own
 * files and open WebSockets.
 */
public final class PublicPortHeaders {

  public static final String CONTENT_SECURITY_POLICY =
    "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

  private static final Map<String, String> ALL = Map.of(
    "X-Content-Type-Options", "nosniff",
    "Content-Security-Policy", CONTENT_SECURITY_POLICY,
    "Referrer-Policy", "no-referrer");

  private PublicPortHeaders() {
  }

  /** Sets each header with {@code set} (a Vert.x response's or a Netty message's). */
  public static void apply(BiConsumer<String, String> set) {
    ALL.forEach(set);
  }
}
