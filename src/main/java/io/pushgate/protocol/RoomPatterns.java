package io.pushgate.protocol;

import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code rooms} claim of a connection token: room names a client may join, where a trailing
 * {@code *} matches any room starting with what precedes it ({@code "game-*"} allows
 * {@code "game-1"}; a lone {@code "*"} allows every room). No claim at all allows every room.
 */
public final class RoomPatterns {

  /** The patterns of a token without a {@code rooms} claim. */
  public static final RoomPatterns ANY = new RoomPatterns(Set.of(), List.of(""));
  /** No room at all. */
  public static final RoomPatterns NONE = new RoomPatterns(Set.of(), List.of());

  /** A claim longer than this is refused: a token is not the place for a room list. */
  static final int MAX_PATTERNS = 256;

  private final Set<String> exact;
  private final List<String> prefixes;

  private RoomPatterns(Set<String> exact, List<String> prefixes) {
    this.exact = exact;
    this.prefixes = prefixes;
  }

  /**
   * @param claim the claim's value, null when the token has none
   * @throws IllegalArgumentException when the claim is not an array of non-empty strings
   */
  public static RoomPatterns fromClaim(Object claim) {
    if (claim == null) {
      return ANY;
    }
    if (!(claim instanceof JsonArray array)) {
      throw new IllegalArgumentException("the rooms claim must be an array of strings");
    }
    if (array.size() > MAX_PATTERNS) {
      throw new IllegalArgumentException("the rooms claim has more than " + MAX_PATTERNS + " patterns");
    }
    Set<String> exact = new HashSet<>();
    List<String> prefixes = new ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof String s) || s.isEmpty()) {
        throw new IllegalArgumentException("the rooms claim must hold non-empty strings");
      }
      if (s.endsWith("*")) {
        prefixes.add(s.substring(0, s.length() - 1));
      } else {
        exact.add(s);
      }
    }
    return new RoomPatterns(Set.copyOf(exact), List.copyOf(prefixes));
  }

  /** Patterns from a comma-separated setting ({@code historyRooms}): the same rules as a claim. */
  public static RoomPatterns fromList(String csv) {
    JsonArray patterns = new JsonArray();
    for (String p : csv.split(",")) {
      if (!p.isBlank()) {
        patterns.add(p.trim());
      }
    }
    return fromClaim(patterns);
  }

  public boolean allows(String room) {
    if (exact.contains(room)) {
      return true;
    }
    for (String prefix : prefixes) {
      if (room.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
