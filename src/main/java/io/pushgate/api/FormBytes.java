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

  /** Why a form with this Content-Type cannot be read as UTF-8, or null. */
  static String charsetProblem(String contentType) {
    String[] parts = contentType.split(";");
    for (int i = 1; i < parts.length; i++) {
      String[] param = parts[i].split("=", 2);
      if (param.length == 2 && param[0].trim().equalsIgnoreCase("charset")) {
        String charset = param[1].trim().replace("\"", "").toLowerCase(Locale.ROOT);
        if (!charset.equals("utf-8") && !charset.equals("utf8")) {
          return "a form's charset must be UTF-8";
        }
      }
    }
    return null;
  }

  /**
   * Why the body, percent-decoded, is not strict UTF-8 (Netty's check, as for items), or null. The
   * whole body is decoded at once: '&amp;' and '=' are ASCII, which no multi-byte character holds,
   * so the whole is UTF-8 exactly when each field is.
   */
  static String utf8Problem(Buffer body) {
    byte[] raw = body.getBytes();
    byte[] decoded = new byte[raw.length];
    int n = 0;
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '%') {
        int hi = i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
        int lo = hi >= 0 ? Character.digit(raw[i + 2], 16) : -1;
        if (lo < 0) {
          return "a form field holds a malformed percent escape";
        }
        decoded[n++] = (byte) (hi << 4 | lo);
        i += 2;
      } else {
        decoded[n++] = b;
      }
    }
    return ByteBufUtil.isText(Unpooled.wrappedBuffer(decoded, 0, n), StandardCharsets.UTF_8) ? null : "a form field is not valid UTF-8";
  }
}
