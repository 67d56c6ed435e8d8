package io.pushgate.protocol;

/**
 * One decoded client message. {@code id} is null when the client did not ask for an ACK.
 * {@code room} is set for JOIN and LEAVE; {@code online} only matters for JOIN.
 */
public record ClientRequest(MessageType type, Long id, String room, boolean online) {
}
