package io.pushgate.merge;

import io.pushgate.protocol.Target;

import java.util.List;

/**
 * One accepted push: validated, compact UTF-8 JSON items for one target (a room, or all).
 * Immutable, so it can pass between verticles by reference.
 */
public record PushBatch(Target target, List<byte[]> items, long bytes) {

  public PushBatch {
    items = List.copyOf(items);
  }
}
