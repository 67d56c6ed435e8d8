package io.pushgate.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** Every HTTP request the tests send, to 127.0.0.1: one client, one way to send. */
public final class Http {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  /**
   * How long the waits' GETs wait for an answer: a kept-alive connection to a server that is going
   * away can take a request and never answer it, and without a limit the whole build hangs there
   * (OnEventLoopTest did, once, after an undeploy).
   */
  private static final java.time.Duration WAIT_REQUEST_TIMEOUT = java.time.Duration.ofSeconds(5);

  private Http() {
  }

  /**
   * @param contentType null for none
   * @param body        null for no body
   * @param headers     further request headers (Authorization, ...)
   */
  public static HttpResponse<String> send(String method, int port, String path, String contentType, String body, Map<String, String> headers) {
    // Bounded, so that a server that takes a request and never answers fails the test instead of hanging the build.
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(java.time.Duration.ofSeconds(30))
      .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    headers.forEach(request::header);
    try {
      return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** A request with an optional {@code Authorization} header value. */
  public static HttpResponse<String> send(String method, int port, String path, String contentType, String body, String authorization) {
    return send(method, port, path, contentType, body, authorization == null ? Map.of() : Map.of("Authorization", authorization));
  }

  public static HttpResponse<String> get(int port, String path) {
    return send("GET", port, path, null, null, Map.of());
  }

  public static HttpResponse<String> postJson(int port, String path, JsonObject body) {
    return send("POST", port, path, "application/json", body.encode(), Map.of());
  }

  /** The status of a GET, or -1 while nothing answers (a node still starting): for waits, not assertions on errors. */
  public static int statusOrMinusOne(int port, String path) {
    try {
      return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT_REQUEST_TIMEOUT).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  /** The body of a GET, or "{}" while nothing answers (a node still starting): for waits. */
  public static String bodyOrEmpty(int port, String path) {
    try {
      return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT_REQUEST_TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException | InterruptedException e) {
      return "{}";
    }
  }

  public static JsonObject stats(int apiPort, String authorization) {
    HttpResponse<String> r = send("GET", apiPort, "/stats", null, null, authorization);
    if (r.statusCode() != 200) {
      throw new AssertionError("/stats answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /**
   * The raw bytes of one request on a connection of its own, and the whole answer as ISO-8859-1 text:
   * for what Java's client will not send (odd methods, malformed bytes, a chunked body).
   */
  public static String raw(int port, byte[] request) {
    try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = s.getInputStream().read(buf)) > 0; ) {
          answer.write(buf, 0, n);
        }
      } catch (java.net.SocketException reset) {
        // The server may close at once after answering, resetting what it did not read.
      }
      return answer.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** {@link #raw(int, byte[])} of ISO-8859-1 text: each char one byte. */
  public static String raw(int port, String request) {
    return raw(port, request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }
}
