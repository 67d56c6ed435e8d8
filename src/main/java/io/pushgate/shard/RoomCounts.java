package io.pushgate.shard;

import java.util.Map;

/** A shard's member count per room, its answer to the online counter. */
public record RoomCounts(Map<String, Integer> counts) {
}
