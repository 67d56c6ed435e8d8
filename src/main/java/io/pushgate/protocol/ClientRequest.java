package io.pushgate.protocol;

/**
 * One decoded client message. {@code id} is null when the client did not ask for an ACK.
 * {@code room} is set for JOIN and LEAVE; {@code online} and {@code since} only matter for JOIN
 * ({@code since} null when the client sent none); {@code token} only for REFRESH.
 */
public record ClientRequest(MessageType type, Long id, String room, boolean online, Position since, String token) {

  /** A PING, LEAVE, or JOIN without {@code since}. */
  public ClientRequest(MessageType type, Long id, String room, boolean online) {
    this(type, id, room, online, null, null);
  }

  static ClientRequest refresh(Long id, String token) {
    return new ClientRequest(MessageType.REFRESH, id, null, false, null, token);
  }
}
