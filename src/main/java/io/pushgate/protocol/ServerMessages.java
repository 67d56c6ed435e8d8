package io.pushgate.protocol;

import io.vertx.core.json.JsonObject;

/** The small replies of the protocol; PUSH frames are built by {@link PushFrameEncoder}. */
public final class ServerMessages {

  public static final String PONG = "{\"type\":\"PONG\",\"data\":{}}";

  private ServerMessages() {
  }

  public static String ack(long id) {
    return "{\"type\":\"ACK\",\"id\":" + id + "}";
  }

  /** {@code {"type":"ONLINE","data":{"room":R,"count":N}}}, encoded once for all of a room's watchers. */
  public static EncodedFrame online(String room, int count) {
    String text = new JsonObject().put("type", "ONLINE").put("data", new JsonObject().put("room", room).put("count", count)).encode();
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return PushFrameEncoder.frame(room, bytes);
  }

  public static String error(ErrorCode code, String message, Long id) {
    JsonObject error = new JsonObject().put("type", "ERROR");
    if (id != null) {
      error.put("id", id);
    }
    return error.put("data", new JsonObject().put("code", code.name()).put("message", message)).encode();
  }
}
