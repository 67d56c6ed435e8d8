package io.pushgate.protocol;

/** Room ids: any non-empty Unicode string of at most 128 characters without control characters. */
public final class RoomName {
  public static final int MAX_CODE_POINTS = 128;

  private RoomName() {
  }

  /** @return why {@code room} is not a valid room id, or null when it is. */
  public static String problem(String room) {
    if (room == null || room.isEmpty()) {
      return "room must be a non-empty string";
    }
    if (room.length() > 2 * MAX_CODE_POINTS || room.codePointCount(0, room.length()) > MAX_CODE_POINTS) {
      return "room is longer than " + MAX_CODE_POINTS + " characters";
    }
    for (int i = 0; i < room.length(); i++) {
      char c = room.charAt(i);
      if (Character.isISOControl(c)) {
        return "room contains a control character";
      }
      if (Character.isSurrogate(c)) {
        boolean paired = Character.isHighSurrogate(c) && i + 1 < room.length() && Character.isLowSurrogate(room.charAt(i + 1));
        if (!paired) {
          return "room contains an unpaired surrogate";
        }
        i++;
      }
    }
    return null;
  }
}
