package io.pushgate.protocol;

/** The {@code code} of an ERROR message sent over the WebSocket. */
public enum ErrorCode {
  /** data missing or of the wrong shape. */
  BAD_REQUEST,
  UNKNOWN_TYPE,
  /** empty, too long, or control characters. */
  BAD_ROOM,
  /** joined rooms at the configured maximum. */
  ROOM_LIMIT,
  /** the token does not allow this room. */
  FORBIDDEN,
  RATE_LIMITED
}
