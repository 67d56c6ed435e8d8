package io.pushgate.protocol;

import java.util.Locale;

/**
 * A push's priority (PROTOCOL.md, Priority). Normal items carry every guarantee; low ones (bullet
 * comments, likes) are best effort: sampled down, evenly and counted, when their room is over its
 * budget or the node cannot keep up, and never part of a stream.
 */
public enum Priority {
  NORMAL, LOW;

  /** The wire name: {@code "normal"} or {@code "low"}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @return the priority a push's {@code priority} field names (absent: normal), or null for anything else */
  public static Priority parse(Object value) {
    if (value == null) {
      return NORMAL;
    }
    for (Priority p : values()) {
      if (p.wireName().equals(value)) {
        return p;
      }
    }
    return null;
  }
}
