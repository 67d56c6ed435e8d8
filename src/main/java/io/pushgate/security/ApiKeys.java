package io.pushgate.security;

import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * API keys on the API port: {@code Authorization: Bearer KEY} with any of the configured keys (several
 * at once, so a key can be rotated without a window where pushers fail). The presented key is hashed
 * and compared with every configured key's hash by {@link MessageDigest#isEqual}, which takes the
 * same time whatever the bytes; hashing first also hides the keys' lengths, and checking all keys
 * without stopping at a match hides which one matched.
 */
public final class ApiKeys implements Handler<RoutingContext> {

  private final byte[][] hashes;

  ApiKeys(List<String> keys) {
    this.hashes = keys.stream().map(ApiKeys::sha256).toArray(byte[][]::new);
  }

  /** Puts the key check in front of every route of {@code router}, when keys are configured. */
  public static void protect(Router router, PushgateConfig config) {
    List<String> keys = SecurityConfig.list(config.text(Setting.API_KEYS));
    if (!keys.isEmpty()) {
      router.route().handler(new ApiKeys(keys));
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    String presented = bearer(ctx.request().getHeader("Authorization"));
    if (presented != null && matches(presented)) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"pushgate\"");
    // The router's failure handler renders 401 as {"error":{"code":"UNAUTHORIZED",...}} and counts it.
    ctx.fail(401, new SecurityException(presented == null
      ? "this API needs Authorization: Bearer KEY" : "the API key is not valid"));
  }

  boolean matches(String presented) {
    byte[] hash = sha256(presented);
    boolean match = false;
    for (byte[] known : hashes) {
      match |= MessageDigest.isEqual(hash, known);
    }
    return match;
  }

  static String bearer(String authorization) {
    if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String key = authorization.substring(7).trim();
    return key.isEmpty() ? null : key;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
