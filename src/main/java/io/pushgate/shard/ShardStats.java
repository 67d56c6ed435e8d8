package io.pushgate.shard;

import io.vertx.core.json.JsonObject;

import java.util.Set;

/** A shard's answer to a stats request: its counters, and its room names so /stats can count distinct rooms. */
public record ShardStats(int shard, int connections, JsonObject counters, Set<String> rooms) {
}
