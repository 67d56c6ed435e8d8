package io.pushgate.security;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** HTTP requests with the headers the security tests need (TestNode's helpers send none). */
final class Http {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private Http() {
  }

  static HttpResponse<String> send(String method, int port, String path, String contentType, String body, String authorization) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    try {
      return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  static JsonObject stats(int apiPort, String authorization) {
    HttpResponse<String> r = send("GET", apiPort, "/stats", null, null, authorization);
    if (r.statusCode() != 200) {
      throw new AssertionError("/stats answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }
}
