package io.pushgate.cluster;

import io.pushgate.merge.PushBatch;

/**
 * A push accepted by node {@code origin}, broadcast to every other node's merger. A broadcast that
 * could not be decoded within the limits carries the {@code problem} instead of a batch: another
 * node's message is checked like a client's, never trusted to be well formed.
 */
public record ClusterPush(String origin, PushBatch batch, String problem) {

  static ClusterPush of(String origin, PushBatch batch) {
    return new ClusterPush(origin, batch, null);
  }

  static ClusterPush refused(String origin, String problem) {
    return new ClusterPush(origin, null, problem);
  }
}
