package io.pushgate.node;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The browser client as other origins load it: {@code /pushgate.js} (always the current one) and
 * {@code /pushgate-VERSION.js} (this release's, cacheable for good), with CORS headers so that a page
 * on another origin can {@code import} the module. The version is the client's own
 * {@code export const VERSION = '...'}, so the file and its name cannot disagree.
 */
final class ClientScript {

  private static final String RESOURCE = "webroot/pushgate.js";
  private static final Pattern VERSION = Pattern.compile("export const VERSION = '([0-9A-Za-z.+-]+)'");
  private static final String JAVASCRIPT = "text/javascript; charset=utf-8";

  private ClientScript() {
  }

  /** The client's version, or null when the file declares none. */
  static String version(String source) {
    Matcher m = VERSION.matcher(source);
    return m.find() ? m.group(1) : null;
  }

  static void route(Router router) {
    router.routeWithRegex("/pushgate(-[^/]*)?\\.(js|d\\.ts)").handler(ctx -> {
      ctx.response().putHeader("Access-Control-Allow-Origin", "*");
      ctx.next();
    });
    Buffer script = load();
    String version = version(script.toString());
    if (version != null) {
      router.route("/pushgate-" + version + ".js").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> ctx.response()
        .putHeader("Content-Type", JAVASCRIPT)
        // This name always holds these bytes: a page may cache it for a year.
        .putHeader("Cache-Control", "public, max-age=31536000, immutable")
        .end(script));
    }
  }

  private static Buffer load() {
    try (InputStream in = ClientScript.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
