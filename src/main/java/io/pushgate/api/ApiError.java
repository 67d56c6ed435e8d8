package io.pushgate.api;

import io.vertx.core.json.JsonObject;

/** Every refusal of the HTTP and event-bus push API, with its HTTP status (also the event-bus failure code). */
public enum ApiError {
  BAD_REQUEST(400),
  BAD_ROOM(400),
  UNAUTHORIZED(401),
  FORBIDDEN(403),
  NOT_FOUND(404),
  METHOD_NOT_ALLOWED(405),
  TOO_LARGE(413),
  UNSUPPORTED_MEDIA_TYPE(415),
  RATE_LIMITED(429),
  INTERNAL(500),
  QUEUE_FULL(503),
  /** The node is leaving (SIGTERM, a rolling update): retry at once, on a new connection, which reaches another node. */
  DRAINING(503);

  private final int status;

  ApiError(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }

  /** {@code {"error": {"code": C, "message": M}}}, the body of every refused HTTP request. */
  public JsonObject body(String message) {
    return new JsonObject().put("error", new JsonObject().put("code", name()).put("message", message));
  }

  /** The event-bus failure message: {@code "CODE: message"}, its failure code being {@link #status()}. */
  public String busMessage(String message) {
    return name() + ": " + message;
  }

  public static ApiError forStatus(int status) {
    for (ApiError e : values()) {
      if (e.status == status) {
        return e;
      }
    }
    return status >= 500 ? INTERNAL : BAD_REQUEST;
  }
}
