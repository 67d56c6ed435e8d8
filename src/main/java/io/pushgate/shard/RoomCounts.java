package io.pushgate.shard;

import java.util.Map;

/**
 * A shard's answer to the online counter: what changed since its last answer.
 *
 * @param counts       member count of each room that gained or lost members; 0 when none are left
 * @param watchChanges rooms that gained their first watcher on the shard (true) or lost their last (false)
 */
public record RoomCounts(Map<String, Integer> counts, Map<String, Boolean> watchChanges) {
}
