package io.pushgate.shard;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.pushgate.protocol.RoomPatterns;

/**
 * What a shard needs of the configuration, read once.
 *
 * @param maxFrameBytes         a client message's largest size, reassembled fragments included
 * @param maxFragments          fragments one client message may arrive in
 * @param maxRoomsPerConnection rooms one connection may be in
 * @param maxRooms              distinct rooms on the node
 * @param maxOutboundBytes      unsent bytes a connection may have queued before it is a slow consumer
 * @param heartbeatTimeoutMillis silence after which a connection is closed with 4001
 * @param closeTimeoutMillis    how long a client has to answer the server's close frame
 * @param tickMillis            the merger's tick, against which a shard's fan-out lag is judged
 * @param streams               rooms that are streams (their JOINs go through the merger); none when history is off
 * @param streamJoinTimeoutNanos how long a JOIN with since may wait for this node to catch up with the client
 * @param maxQueuedRequests     requests a connection may have waiting behind its JOINs of streams (at least maxRoomsPerConnection)
 * @param acceptBacklog         connections each of the shard's listening sockets queues before it accepts them
 * @param listenSockets         listening sockets the shard opens on the public port (where SO_REUSEPORT spreads connections)
 */
public record ShardOptions(String publicHost, int publicPort, int maxFrameBytes, int maxFragments, int maxRoomsPerConnection,
                           int maxRooms, int maxOutboundBytes, long heartbeatTimeoutMillis, long closeTimeoutMillis, long tickMillis,
                           RoomPatterns streams, long streamJoinTimeoutNanos, int maxQueuedRequests, int acceptBacklog,
                           int listenSockets) {

  /** The defaults where somaxconn is unknown. */
  public static final ShardOptions DEFAULTS = from(PushgateConfig.defaults(), -1);

  /** @param somaxconn net.core.somaxconn as the node read it (-1: unknown), which sizes the default listenSockets */
  public static ShardOptions from(PushgateConfig config, long somaxconn) {
    return new ShardOptions(config.publicHost(), config.publicPort(),
      config.intLimit(Limit.MAX_FRAME_BYTES), config.intLimit(Limit.MAX_FRAGMENTS_PER_MESSAGE),
      config.intLimit(Limit.MAX_ROOMS_PER_CONNECTION), config.intLimit(Limit.MAX_ROOMS), config.intLimit(Limit.MAX_OUTBOUND_BYTES),
      config.heartbeatTimeoutMillis(), config.closeTimeoutMillis(), config.tickMillis(),
      config.limit(Limit.HISTORY_SIZE) == 0 ? RoomPatterns.NONE : RoomPatterns.fromList(config.text(Setting.HISTORY_ROOMS)),
      // Long enough for a gap to be read from the history twice, and a tick to hand it over.
      Math.max(5_000, 3 * config.limit(Limit.HISTORY_HOLE_MILLIS) + config.tickMillis()) * 1_000_000L,
      // A reconnect's rejoin (up to maxRoomsPerConnection JOINs, which PROTOCOL.md lets through at
      // once) must fit behind its first JOIN of a stream, whatever the two settings say.
      Math.max(config.intLimit(Limit.MAX_QUEUED_REQUESTS), config.intLimit(Limit.MAX_ROOMS_PER_CONNECTION)),
      config.intLimit(Limit.ACCEPT_BACKLOG), config.listenSocketsPerShard(somaxconn));
  }

  /** The same options on another public port: the port the first shard got when 0 asked for any. */
  public ShardOptions withPublicPort(int port) {
    return new ShardOptions(publicHost, port, maxFrameBytes, maxFragments, maxRoomsPerConnection, maxRooms, maxOutboundBytes,
      heartbeatTimeoutMillis, closeTimeoutMillis, tickMillis, streams, streamJoinTimeoutNanos, maxQueuedRequests, acceptBacklog, listenSockets);
  }
}
