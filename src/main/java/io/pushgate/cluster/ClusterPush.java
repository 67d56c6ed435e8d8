package io.pushgate.cluster;

import io.pushgate.merge.NotTaken;
import io.pushgate.merge.PushBatch;

/**
 * A push accepted by node {@code origin}, broadcast to every other node's merger. A broadcast that
 * could not be decoded within the limits carries the {@code problem} instead of a batch: another
 * node's message is checked like a client's, never trusted to be well formed. One that was well
 * formed but over this node's own item limits carries, besides, what the merger needs to treat it
 * as missed ({@code overLimits}), and not its items.
 */
public record ClusterPush(String origin, PushBatch batch, String problem, NotTaken overLimits) {

  static ClusterPush of(String origin, PushBatch batch) {
    return new ClusterPush(origin, batch, null, null);
  }

  static ClusterPush refused(String origin, String problem) {
    return new ClusterPush(origin, null, problem, null);
  }

  static ClusterPush overLimits(String origin, NotTaken push, String problem) {
    return new ClusterPush(origin, null, problem, push);
  }
}
