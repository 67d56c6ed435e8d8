package io.pushgate.protocol;

/**
 * Room ids (PROTOCOL.md): any non-empty Unicode string of at most 128 characters without control,
 * format or line/paragraph separator characters (categories Cc, Cf, Zl, Zp), and without {@code *}.
 * Invisible characters would let two different rooms look the same to a person; {@code *} is what
 * a token's {@code rooms} claim uses as a wildcard, so a backend copying a user's room name into a
 * claim can never grant more than that room.
 */
public final class RoomName {
  public static final int MAX_CODE_POINTS = 128;
  /** The wildcard of token room patterns, never part of a room id. */
  public static final char WILDCARD = '*';

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
    if (Surrogates.firstUnpaired(room) >= 0) {
      return "room contains an unpaired surrogate";
    }
    for (int i = 0; i < room.length(); ) {
      int c = room.codePointAt(i);
      i += Character.charCount(c);
      if (c == WILDCARD) {
        return "room contains '*', which token room patterns use as a wildcard";
      }
      switch (Character.getType(c)) {
        case Character.CONTROL -> {
          return "room contains a control character";
        }
        case Character.FORMAT -> {
          return "room contains an invisible format character";
        }
        case Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> {
          return "room contains a line or paragraph separator";
        }
        default -> {
        }
      }
    }
    return null;
  }
}
