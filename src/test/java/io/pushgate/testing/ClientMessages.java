package io.pushgate.testing;

import io.pushgate.protocol.MessageType;
import io.vertx.core.json.JsonObject;

/** The client's messages of PROTOCOL.md, built the one way every test sends them. */
public final class ClientMessages {

  private ClientMessages() {
  }

  private static JsonObject message(MessageType type, Long id, JsonObject data) {
    JsonObject m = new JsonObject().put("type", type.name());
    if (id != null) {
      m.put("id", id);
    }
    return data == null ? m : m.put("data", data);
  }

  /** {@code {"type":"JOIN","data":{"room":R}}}, no ACK asked. */
  public static JsonObject join(String room) {
    return message(MessageType.JOIN, null, new JsonObject().put("room", room));
  }

  public static JsonObject join(String room, long id) {
    return message(MessageType.JOIN, id, new JsonObject().put("room", room));
  }

  /** A JOIN with {@code "online": true} when {@code online}; {@code id} null for none. */
  public static JsonObject join(String room, Long id, boolean online) {
    JsonObject data = new JsonObject().put("room", room);
    if (online) {
      data.put("online", true);
    }
    return message(MessageType.JOIN, id, data);
  }

  public static JsonObject leave(String room, Long id) {
    return message(MessageType.LEAVE, id, new JsonObject().put("room", room));
  }

  public static JsonObject ping() {
    return message(MessageType.PING, null, null);
  }

  public static JsonObject ping(long id) {
    return message(MessageType.PING, id, null);
  }

  /**
   * Whether {@code m} is the ACK of request {@code id}, whatever its data: a JOIN of a stream (every
   * room, by default) is acknowledged with its position, other requests with none.
   */
  public static boolean isAck(JsonObject m, long id) {
    return "ACK".equals(m.getString("type")) && Long.valueOf(id).equals(m.getLong("id"));
  }
}
