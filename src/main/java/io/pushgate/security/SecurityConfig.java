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
import java.util.Set;
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

  /**
   * Text that marks a value as a stand-in, never a real secret: shipped examples and placeholders
   * say so, and a node that starts with one would be protected by a value anyone can read.
   */
  private static final List<String> PLACEHOLDER_MARKS = List.of("placeholder", "replace-me", "replace_me", "changeme", "change-me");
  /** Example values that README and the manifests show or once showed: public, so never usable. */
  static final Set<String> DOCUMENTED_EXAMPLES = Set.of(
    "FAKE-PLACEHOLDER-replace-me-jwt-hs256-secret-0000000000",
    "FAKE-PLACEHOLDER-replace-me-api-key-00000000");

  /** Every problem of the security settings, each naming its key; empty when all are fine. */
  public static List<String> problems(PushgateConfig config) {
    List<String> problems = new ArrayList<>();
    if (!isLoopback(config.apiHost()) && list(config.text(Setting.API_KEYS)).isEmpty() && !config.flag(Setting.API_INSECURE)) {
      problems.add(Setting.API_HOST.key() + "=" + config.apiHost() + " is not a loopback address and " + Setting.API_KEYS.key()
        + " is empty: anyone who reaches port " + config.apiPort() + " could push to every client and read /stats. Set "
        + Setting.API_KEYS.key() + ", or bind " + Setting.API_HOST.key() + " to 127.0.0.1, or set "
        + Setting.API_INSECURE.key() + "=true if nothing else can reach that interface");
    }
    for (Setting s : Setting.values()) {
      if (s.isSecret()) {
        for (String value : s == Setting.API_KEYS ? list(config.text(s)) : List.of(config.text(s))) {
          if (isPlaceholder(value)) {
            problems.add(s.key() + " holds a placeholder or a documented example value, which is public: generate a real one (README, Security)");
          }
        }
      }
    }
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
    try {
      TrustedProxies.parse(config.text(Setting.TRUSTED_PROXIES));
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage()); // with the others, before Vert.x (and Hazelcast) start for nothing
    }
    problems.addAll(EventBusTls.problems(config));
    return problems;
  }

  /** What the operator should hear at start about settings that are allowed but unsafe. */
  public static List<String> warnings(PushgateConfig config) {
    List<String> warnings = new ArrayList<>();
    if (!isLoopback(config.apiHost()) && list(config.text(Setting.API_KEYS)).isEmpty()) {
      warnings.add("the push API listens on " + config.apiHost() + ":" + config.apiPort() + " without API keys ("
        + Setting.API_INSECURE.key() + "=true): anyone who reaches it can push to every client and read /stats");
    }
    return warnings;
  }

  /** One line on what guards the node, so that a feature left off (a misspelled variable) shows in the log. */
  public static String posture(PushgateConfig config) {
    boolean hs = !config.text(Setting.JWT_HS256_SECRET).isEmpty();
    boolean rs = !config.text(Setting.JWT_RS256_PUBLIC_KEY).isEmpty();
    List<String> origins = list(config.text(Setting.ALLOWED_ORIGINS));
    List<String> proxies = list(config.text(Setting.TRUSTED_PROXIES));
    int keys = list(config.text(Setting.API_KEYS)).size();
    return "security: connection tokens " + (hs && rs ? "HS256 and RS256" : hs ? "HS256" : rs ? "RS256" : "off (any client may connect)")
      + "; browser origins " + (origins.isEmpty() ? "any" : String.join(", ", origins))
      + "; push API on " + config.apiHost() + ":" + config.apiPort() + (keys == 0 ? " without API keys" : " with " + keys + " API key" + (keys == 1 ? "" : "s"))
      + "; trusted proxies " + (proxies.isEmpty() ? "none" : String.join(", ", proxies));
  }

  static boolean isPlaceholder(String value) {
    if (value.isEmpty()) {
      return false;
    }
    String lower = value.toLowerCase(java.util.Locale.ROOT);
    return DOCUMENTED_EXAMPLES.contains(value) || PLACEHOLDER_MARKS.stream().anyMatch(lower::contains);
  }

  /**
   * Whether {@code host} names only this machine: "localhost" or a literal loopback address. Names
   * are not resolved, so any other host name counts as reachable from the network.
   */
  static boolean isLoopback(String host) {
    String h = host.trim();
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    boolean literal = h.contains(":") || h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    if (!literal) {
      return false;
    }
    try {
      return java.net.InetAddress.getByName(h).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
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
