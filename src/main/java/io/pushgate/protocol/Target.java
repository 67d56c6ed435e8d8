package io.pushgate.protocol;

/**
 * Where a push goes: one room, or every connection ({@link #ALL}). A PUSH frame to all carries no
 * {@code room} (PROTOCOL.md), so "all" is a target of its own, never a room with a reserved name.
 */
public record Target(String room) {

  public static final Target ALL = new Target(null);

  public static Target room(String room) {
    if (room == null) {
      throw new IllegalArgumentException("a room target needs a room; use Target.ALL");
    }
    return new Target(room);
  }

  public boolean isAll() {
    return room == null;
  }

  @Override
  public String toString() {
    return isAll() ? "all" : "room " + room;
  }
}
