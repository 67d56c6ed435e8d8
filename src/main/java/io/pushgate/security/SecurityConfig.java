package io.pushgate.security;

import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks the security settings when the configuration loads, so that a weak secret, an unreadable
 * key or a malformed origin stops the node at start with a message naming the key, never at the
 * first client. Also turns the settings into what the rest of the package uses.
 */
public final class SecurityConfig {

  /** HS256 is only as strong as its secret: 256 bits, as RFC 7518 section 3.2 requires. */
  static final int MIN_HS256_SECRET_BYTES = 32;
  static final int MIN_API_KEY_CHARS = 16;
  private static final Pattern ORIGIN = Pattern.compile("[a-z][a-z0-9+.-]*://[^/\\s?#]+", Pattern.CASE_INSENSITIVE);
  private static final String PEM_BEGIN = "-----BEGIN PUBLIC KEY-----";
  private static final String PEM_END = "-----END PUBLIC KEY-----";

  private SecurityConfig() {
  }

  /** Every problem of the security settings, each naming its key; empty when all are fine. */
  public static List<String> problems(PushgateConfig config) {
    List<String> problems = new ArrayList<>();
    String secret = config.text(Setting.JWT_HS256_SECRET);
    if (!secret.isEmpty() && secret.getBytes(StandardCharsets.UTF_8).length < MIN_HS256_SECRET_BYTES) {
      problems.add(Setting.JWT_HS256_SECRET.key() + " must be at least " + MIN_HS256_SECRET_BYTES + " bytes");
    }
    if (!config.text(Setting.JWT_RS256_PUBLIC_KEY).isEmpty()) {
      try {
        rs256PublicKeyPem(config);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    for (String key : list(config.text(Setting.API_KEYS))) {
      if (key.length() < MIN_API_KEY_CHARS || key.chars().anyMatch(Character::isWhitespace)) {
        problems.add(Setting.API_KEYS.key() + ": each key must be at least " + MIN_API_KEY_CHARS
          + " characters without spaces (a key of " + key.length() + " characters is not)");
      }
    }
    for (String origin : list(config.text(Setting.ALLOWED_ORIGINS))) {
      if (!ORIGIN.matcher(origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin).matches()) {
        problems.add(Setting.ALLOWED_ORIGINS.key() + ": '" + origin + "' is not an origin like https://app.example.com");
      }
    }
    problems.addAll(EventBusTls.problems(config));
    return problems;
  }

  /** A comma-separated setting as its non-empty, trimmed entries. */
  public static List<String> list(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * The RS256 public key as PEM text: the setting itself when it holds PEM, else the file it names.
   * @throws IllegalArgumentException naming the setting, when it is neither a readable file nor an RSA public key
   */
  public static String rs256PublicKeyPem(PushgateConfig config) {
    String value = config.text(Setting.JWT_RS256_PUBLIC_KEY);
    if (value.isEmpty()) {
      return "";
    }
    String key = Setting.JWT_RS256_PUBLIC_KEY.key();
    String pem = value;
    if (!value.startsWith("-----BEGIN")) {
      try {
        pem = Files.readString(Path.of(value), StandardCharsets.US_ASCII);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(key + ": cannot read the PEM file " + value + " (" + e.getClass().getSimpleName() + ")");
      }
    }
    int begin = pem.indexOf(PEM_BEGIN);
    int end = pem.indexOf(PEM_END);
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(key + " must be an RSA public key in PEM (" + PEM_BEGIN + "), or the path of one");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + PEM_BEGIN.length(), end));
      KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " is not a valid RSA public key: " + e.getMessage());
    }
    return pem.substring(begin, end + PEM_END.length());
  }
}
