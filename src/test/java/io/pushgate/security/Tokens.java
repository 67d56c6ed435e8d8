package io.pushgate.security;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Signs test tokens the way a backend would: with vertx-auth-jwt and the matching secret or private key. */
final class Tokens {

  static final String SECRET = "test-secret-of-at-least-32-bytes-0123456789";

  private final JWTAuth signer;
  private final String algorithm;

  private Tokens(JWTAuth signer, String algorithm) {
    this.signer = signer;
    this.algorithm = algorithm;
  }

  static Tokens hs256(Vertx vertx, String secret) {
    return new Tokens(JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))), "HS256");
  }

  static Tokens rs256(Vertx vertx, KeyPair keys) {
    return new Tokens(JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(pem("PRIVATE KEY", keys.getPrivate().getEncoded())))), "RS256");
  }

  static KeyPair rsaKeys() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static String publicPem(KeyPair keys) {
    return pem("PUBLIC KEY", keys.getPublic().getEncoded());
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
      + "\n-----END " + type + "-----\n";
  }

  /** A token with these claims, signed; {@code exp} and {@code iat} are whatever {@code claims} holds. */
  String sign(JsonObject claims) {
    return signer.generateToken(claims, new JWTOptions().setAlgorithm(algorithm).setNoTimestamp(true));
  }

  /** sub and an exp {@code seconds} from now, plus {@code extra}. */
  String valid(String sub, long seconds, JsonObject extra) {
    return sign(new JsonObject().put("sub", sub).put("exp", System.currentTimeMillis() / 1000 + seconds).mergeIn(extra));
  }

  /** An unsigned token ({@code "alg":"none"}), as an attacker would forge it. */
  static String unsigned(JsonObject claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
      + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + ".";
  }
}
