package io.pushgate.security;

import io.pushgate.protocol.RoomPatterns;
/**
 * What a verified connection token grants: who ({@code sub}), until when ({@code exp}, in epoch
 * milliseconds) and which rooms. Without authentication every connection gets {@link #OPEN}.
 */
public record Grant(String subject, long expiresAtMillis, RoomPatterns rooms) {

  public static final Grant OPEN = new Grant(null, Long.MAX_VALUE, RoomPatterns.ANY);

  public boolean expires() {
    return expiresAtMillis != Long.MAX_VALUE;
  }
}
