package io.pushgate.bus;

/**
 * Event-bus addresses. Only {@link #PUSH} is public API (PROTOCOL.md); the rest are internal to a
 * node and may change.
 */
public final class Addresses {

  /** Request/reply push from any Vert.x member: {@code {"room": R, "items": [...]}}. */
  public static final String PUSH = "pushgate.push";

  /** Cluster: one consumer per node; a push accepted by one node, for every other node's merger. */
  public static final String CLUSTER_PUSH = "pushgate.cluster.push";

  /** Local: a validated {@code PushBatch} for this node's merger; the reply is a {@code MergeResult}. */
  public static final String MERGE = "pushgate.local.merge";
  /**
   * Local: a push another node accepted and broadcast, for this node's merger. Apart from MERGE because
   * a draining node refuses new pushes but still delivers the cluster's to the clients it has left.
   */
  public static final String MERGE_REMOTE = "pushgate.local.merge.remote";
  /** Local: a shard's JOIN of a stream ({@code StreamJoin}), answered on the shard's own address after what it was handed. */
  public static final String STREAM_JOIN = "pushgate.local.merge.join";
  /** Local: GET /rooms/{room}/history, answered by the merger from the streams' history. */
  public static final String HISTORY = "pushgate.local.merge.history";
  /** Local: the node's shutdown sequence, answered when every client got its 1001. */
  public static final String DRAIN = "pushgate.local.drain";
  /** Local: the API stops taking event-bus pushes, so pushers' requests go to nodes that stay. */
  public static final String API_DRAIN = "pushgate.local.api.drain";
  /**
   * Local: flush everything pending, then tell every shard to close its clients with 1001, spread
   * over {@code {"windowMillis", "minClosesPerSecond"}}.
   */
  public static final String MERGE_DRAIN = "pushgate.local.merge.drain";

  /** Local: the node's readiness, {@code {"ready": bool, ...}}, asked by /ready. */
  public static final String STATUS = "pushgate.local.status";

  /** Local: a room's connection count across the cluster, for GET /rooms/{room}. */
  public static final String ROOM_ONLINE = "pushgate.local.online.room";
  /** Cluster: every node's per-room connection counts, published once per online interval. */
  public static final String CLUSTER_ONLINE = "pushgate.cluster.online";
  /** Local: a comment from the demo page, checked against the demo rate limit by the API. */
  public static final String DEMO_PUBLISH = "pushgate.local.demo.publish";

  private static final String SHARD = "pushgate.local.shard.";

  private Addresses() {
  }

  /** Local: encoded frames (and the final drain) for shard {@code i}, in the merger's order. */
  public static String shard(int i) {
    return SHARD + i;
  }

  /** Cluster: node {@code nodeId}'s member count of one room, asked by GET /rooms/{room} on another node. */
  public static String onlineQuery(String nodeId) {
    return CLUSTER_ONLINE + ".query." + nodeId;
  }

  /** Local: shard {@code i}'s member count per room, asked once per online interval. */
  public static String shardCounts(int i) {
    return SHARD + i + ".counts";
  }
}
