package io.pushgate.protocol;

/** The {@code type} of every WebSocket message of PROTOCOL.md, in both directions. */
public enum MessageType {
  // client to server
  PING, JOIN, LEAVE, REFRESH,
  // server to client
  PONG, PUSH, ONLINE, ACK, ERROR;

  /** The client's message of this name, or null when there is none. */
  public static MessageType fromClient(String name) {
    return switch (name) {
      case "PING" -> PING;
      case "JOIN" -> JOIN;
      case "LEAVE" -> LEAVE;
      case "REFRESH" -> REFRESH;
      default -> null;
    };
  }
}
