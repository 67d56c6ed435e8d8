package io.pushgate.protocol;

/** The close codes of PROTOCOL.md; the server always sends one of these in its close frame. */
public enum CloseCode {
  NORMAL(1000, "normal close"),
  GOING_AWAY(1001, "node shutting down"),
  /**
   * RFC 6455's own code for a frame that breaks the framing rules (unmasked, reserved bits, a control
   * frame fragmented or over 125 bytes, a continuation with nothing to continue, an invalid close
   * code). PROTOCOL.md's table does not name it; 1008 would tell the client to fetch a new token.
   */
  PROTOCOL_ERROR(1002, "WebSocket protocol error"),
  UNSUPPORTED_DATA(1003, "binary frames are not accepted"),
  INVALID_PAYLOAD(1007, "a text frame must hold a JSON object"),
  POLICY_VIOLATION(1008, "policy violation"),
  MESSAGE_TOO_BIG(1009, "frame over the maximum size"),
  INTERNAL_ERROR(1011, "internal error"),
  TRY_AGAIN_LATER(1013, "node at its connection limit"),
  /** Another node's push found no room in this node's merge queue: its clients would miss items silently. */
  OVERLOADED(1013, "node overloaded: items were missed"),
  HEARTBEAT_TIMEOUT(4001, "no frame within the heartbeat timeout"),
  SLOW_CONSUMER(4002, "slow consumer: fell behind the outbound limit");

  private final short code;
  private final String reason;

  CloseCode(int code, String reason) {
    this.code = (short) code;
    this.reason = reason;
  }

  public short code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  /** The counter name in /stats, e.g. {@code closed.slow_consumer}. */
  public String statName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static CloseCode of(int code) {
    for (CloseCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    return null;
  }
}
