package io.pushgate.history;

import com.hazelcast.cluster.Member;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Vertx;

/**
 * Which node holds a stream's history now: the owner of the key's partition in the
 * {@code pushgate.history} map, named by its node id as {@code /stats} names each node
 * ({@code cluster.nodeId}), so an operator (or a failure test) can tell which node's death moves it.
 */
public final class HistoryOwner {

  private HistoryOwner() {
  }

  /** The owner's node id; null on a standalone node, or while the cluster has not assigned the partition. */
  public static String of(Vertx vertx, String room) {
    if (!vertx.isClustered()) {
      return null;
    }
    Member owner = VertxInternals.hazelcast(vertx).getPartitionService().getPartition(room).getOwner();
    return owner == null ? null : VertxInternals.nodeId(owner);
  }
}
