package io.pushgate.api;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The checks a URL-encoded body needs before Vert.x decodes it: Vert.x's form decoder always reads
 * UTF-8, ignoring a {@code charset} parameter, and puts U+FFFD in place of percent-decoded bytes
 * that are not UTF-8, so {@code room=s%E9} would land in room "s\uFFFD".
 */
final class FormBytes {

  private FormBytes() {
  }

  /**
   * Charsets in which a body of ASCII bytes reads as it does in UTF-8: a form sent as one of them with
   * no byte past 0x7F (Apache HttpClient 4 labels forms ISO-8859-1 by default) is read as it is.
   */
  private static final java.util.Set<String> ASCII_COMPATIBLE = java.util.Set.of("utf-8", "utf8", "us-ascii", "ascii",
    "iso-8859-1", "latin1", "iso-8859-15", "windows-1252", "cp1252");

  /**
   * Why the body, percent-decoded, cannot be read as UTF-8 with this Content-Type, or null: its bytes
   * must be strict UTF-8 (Netty's check, as for items), and a charset other than UTF-8 is taken only
   * for a body whose bytes are all ASCII (the same text in it).
   */
  static String problem(String contentType, Buffer body) {
    byte[] decoded = percentDecoded(body.getBytes());
    if (decoded == null) {
      return "a form field holds a malformed percent escape";
    }
    String charset = charset(contentType);
    boolean ascii = true;
    for (byte b : decoded) {
      ascii &= b >= 0;
    }
    if (charset != null && !(ascii ? ASCII_COMPATIBLE.contains(charset) : charset.equals("utf-8") || charset.equals("utf8"))) {
      return "a form's charset must be UTF-8 (or ASCII-compatible for a body of ASCII only)";
    }
    return ascii || ByteBufUtil.isText(Unpooled.wrappedBuffer(decoded), StandardCharsets.UTF_8) ? null : "a form field is not valid UTF-8";
  }

  /** The Content-Type's charset parameter, lower-cased, or null. */
  private static String charset(String contentType) {
    String[] parts = contentType.split(";");
    for (int i = 1; i < parts.length; i++) {
      String[] param = parts[i].split("=", 2);
      if (param.length == 2 && param[0].trim().equalsIgnoreCase("charset")) {
        return param[1].trim().replace("\"", "").toLowerCase(Locale.ROOT);
      }
    }
    return null;
  }

  /**
   * The body with its percent escapes decoded, or null for a malformed one. The whole body is decoded
   * at once: '&amp;' and '=' are ASCII, which no multi-byte character holds, so the whole is UTF-8
   * exactly when each field is.
   */
  private static byte[] percentDecoded(byte[] raw) {
    byte[] decoded = new byte[raw.length];
    int n = 0;
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '%') {
        int hi = i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
        int lo = hi >= 0 ? Character.digit(raw[i + 2], 16) : -1;
        if (lo < 0) {
          return null;
        }
        decoded[n++] = (byte) (hi << 4 | lo);
        i += 2;
      } else {
        decoded[n++] = b;
      }
    }
    return java.util.Arrays.copyOf(decoded, n);
  }
}
