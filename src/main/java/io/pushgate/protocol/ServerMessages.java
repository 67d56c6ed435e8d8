package io.pushgate.protocol;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/** The small messages the server sends one connection (PONG, ACK, ERROR) and the shared ONLINE frame; PUSH frames are {@link PushFrameEncoder}'s. */
public final class ServerMessages {

  public static final String PONG = message(MessageType.PONG, null).put("data", new JsonObject()).encode();

  private ServerMessages() {
  }

  private static JsonObject message(MessageType type, Long id) {
    JsonObject message = new JsonObject().put("type", type.name());
    if (id != null) {
      message.put("id", id);
    }
    return message;
  }

  /** {@code {"type":"ACK","id":N}}. */
  public static String ack(long id) {
    return message(MessageType.ACK, id).encode();
  }

  /** {@code {"type":"ACK","id":N,"data":{...}}}, the id left out when the request had none. */
  public static String ack(Long id, JsonObject data) {
    return message(MessageType.ACK, id).put("data", data).encode();
  }

  public static String error(ErrorCode code, String message, Long id) {
    return message(MessageType.ERROR, id).put("data", new JsonObject().put("code", code.name()).put("message", message)).encode();
  }

  /** {@code {"type":"ONLINE","data":{"room":R,"count":N}}}, framed once for all of a room's watchers. */
  public static EncodedFrame online(String room, int count) {
    String text = message(MessageType.ONLINE, null).put("data", new JsonObject().put("room", room).put("count", count)).encode();
    return TextFrame.unreleased(Target.room(room), text.getBytes(StandardCharsets.UTF_8));
  }
}
