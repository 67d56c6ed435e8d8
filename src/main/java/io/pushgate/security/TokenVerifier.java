package io.pushgate.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

/**
 * Checks connection tokens with vertx-auth-jwt: signature (HS256 with the configured secret, RS256
 * with the configured public key; any other algorithm, {@code none} included, has no key and fails),
 * then {@code exp}, which pushgate requires, then {@code sub} and the {@code rooms} claim.
 */
public final class TokenVerifier {

  private final JWTAuth auth;

  private TokenVerifier(JWTAuth auth) {
    this.auth = auth;
  }

  /** @return null when neither key is configured: authentication is off */
  public static TokenVerifier create(Vertx vertx, String hs256Secret, String rs256PublicKeyPem) {
    if (hs256Secret.isEmpty() && rs256PublicKeyPem.isEmpty()) {
      return null;
    }
    JWTAuthOptions options = new JWTAuthOptions();
    if (!hs256Secret.isEmpty()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(hs256Secret));
    }
    if (!rs256PublicKeyPem.isEmpty()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(rs256PublicKeyPem));
    }
    return new TokenVerifier(JWTAuth.create(vertx, options));
  }

  /** A failed future's message says why, without echoing the token. */
  public Future<Grant> verify(String token) {
    return auth.authenticate(new TokenCredentials(token)).compose(user -> {
      try {
        return Future.succeededFuture(grant(claims(user)));
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
    });
  }

  private static JsonObject claims(User user) {
    JsonObject payload = user.attributes() == null ? null : user.attributes().getJsonObject("accessToken");
    return payload != null ? payload : user.principal();
  }

  static Grant grant(JsonObject claims) {
    Object sub = claims.getValue("sub");
    if (!(sub instanceof String subject) || subject.isEmpty()) {
      throw new IllegalArgumentException("the token has no sub claim");
    }
    Object exp = claims.getValue("exp");
    if (!(exp instanceof Number seconds)) {
      throw new IllegalArgumentException("the token has no numeric exp claim");
    }
    long expiresAt = (long) Math.min(Long.MAX_VALUE / 2.0, seconds.doubleValue() * 1000);
    return new Grant(subject, expiresAt, RoomPatterns.fromClaim(claims.getValue("rooms")));
  }
}
