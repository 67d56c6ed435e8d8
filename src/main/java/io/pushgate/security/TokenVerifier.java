package io.pushgate.security;

import io.pushgate.protocol.RoomPatterns;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

/**
 * Checks connection tokens with vertx-auth-jwt: signature (HS256 with the configured secret, RS256
 * with the configured public key; any other algorithm, {@code none} included, has no key and fails),
 * then {@code exp}, {@code nbf} and {@code iat} within the configured clock-skew leeway; then, here,
 * {@code sub} and {@code exp}, which pushgate requires, the audience and issuer when configured, and
 * the {@code rooms} claim.
 */
public final class TokenVerifier {

  private final JWTAuth auth;
  private final String audience;
  private final String issuer;
  private final long leewayMillis;

  private TokenVerifier(JWTAuth auth, String audience, String issuer, long leewayMillis) {
    this.auth = auth;
    this.audience = audience;
    this.issuer = issuer;
    this.leewayMillis = leewayMillis;
  }

  /** @return null when neither key is configured: authentication is off */
  public static TokenVerifier create(Vertx vertx, PushgateConfig config) {
    String hs256Secret = config.text(Setting.JWT_HS256_SECRET);
    String rs256PublicKeyPem = SecurityConfig.rs256PublicKeyPem(config);
    if (hs256Secret.isEmpty() && rs256PublicKeyPem.isEmpty()) {
      return null;
    }
    JWTAuthOptions options = new JWTAuthOptions()
      .setJWTOptions(new JWTOptions().setLeeway((int) config.number(Setting.JWT_LEEWAY_SECONDS)));
    if (!hs256Secret.isEmpty()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(hs256Secret));
    }
    if (!rs256PublicKeyPem.isEmpty()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(rs256PublicKeyPem));
    }
    return new TokenVerifier(JWTAuth.create(vertx, options), config.text(Setting.JWT_AUDIENCE), config.text(Setting.JWT_ISSUER),
      config.number(Setting.JWT_LEEWAY_SECONDS) * 1000);
  }

  /** A failed future's message says why, without echoing the token. */
  public Future<Grant> verify(String token) {
    Future<User> authenticated;
    try {
      authenticated = auth.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // The library reads exp, nbf and iat as numbers after the signature check, and throws (outside
      // its future) on a signed token whose exp is a string or null: refused like any bad token.
      return Future.failedFuture(new IllegalArgumentException("the token's exp, nbf or iat is not a number"));
    }
    return authenticated.compose(user -> {
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

  Grant grant(JsonObject claims) {
    Object sub = claims.getValue("sub");
    if (!(sub instanceof String subject) || subject.isEmpty()) {
      throw new IllegalArgumentException("the token has no sub claim");
    }
    Object exp = claims.getValue("exp");
    if (!(exp instanceof Number seconds)) {
      throw new IllegalArgumentException("the token has no numeric exp claim");
    }
    // Checked here rather than left to the library, so that a configured audience or issuer
    // refuses a token that lacks the claim altogether, not only one that names another.
    if (!audience.isEmpty() && !hasAudience(claims.getValue("aud"))) {
      throw new IllegalArgumentException("the token is not for audience " + audience);
    }
    if (!issuer.isEmpty() && !issuer.equals(claims.getValue("iss"))) {
      throw new IllegalArgumentException("the token is not from issuer " + issuer);
    }
    // The leeway that let a token in also keeps it: the connection's deadline is exp plus it, or a
    // token accepted a second after its exp would be closed (1008) the moment it was let in.
    long expiresAt = (long) Math.min(Long.MAX_VALUE / 2.0, seconds.doubleValue() * 1000 + leewayMillis);
    if (claims.containsKey("rooms") && claims.getValue("rooms") == null) {
      // A backend's empty list serialised as null (Go's nil slice): no room, not every room.
      throw new IllegalArgumentException("the rooms claim is null: give an array (empty for no room), or no claim for any room");
    }
    return new Grant(subject, expiresAt, RoomPatterns.fromClaim(claims.getValue("rooms")));
  }

  /** RFC 7519 4.1.3: {@code aud} is one string or an array of strings. */
  private boolean hasAudience(Object aud) {
    return audience.equals(aud) || (aud instanceof JsonArray list && list.contains(audience));
  }
}
