package io.pushgate.cluster;

import io.pushgate.merge.PushBatch;

/** A push accepted by node {@code origin}, broadcast to every other node's merger. */
public record ClusterPush(String origin, PushBatch batch) {
}
