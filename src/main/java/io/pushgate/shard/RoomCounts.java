package io.pushgate.shard;

import java.util.Map;

/**
 * A shard's answer to the online counter: what changed since its last answer, or ({@code full})
 * everything, when the counter lost an answer (it came after the counter stopped waiting).
 *
 * @param counts       member count of each room that gained or lost members; 0 when none are left.
 *                     Full: every room with members on the shard
 * @param watchChanges rooms that gained their first watcher on the shard (true) or lost their last
 *                     (false). Full: every room watched on the shard, each true
 */
public record RoomCounts(Map<String, Integer> counts, Map<String, Boolean> watchChanges, boolean full) {
}
