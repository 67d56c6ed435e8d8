package io.pushgate.merge;

import java.util.List;

/**
 * One accepted push: validated, compact UTF-8 JSON items for one room, or for all when room is null.
 * Immutable, so it can pass between verticles by reference.
 */
public record PushBatch(String room, List<byte[]> items, long bytes) {

  public PushBatch {
    items = List.copyOf(items);
  }
}
