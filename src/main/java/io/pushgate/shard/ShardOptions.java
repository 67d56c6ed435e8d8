package io.pushgate.shard;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;

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
 */
public record ShardOptions(String publicHost, int publicPort, int maxFrameBytes, int maxFragments, int maxRoomsPerConnection,
                           int maxRooms, int maxOutboundBytes, long heartbeatTimeoutMillis, long closeTimeoutMillis, long tickMillis) {

  public static final ShardOptions DEFAULTS = from(PushgateConfig.defaults());

  public static ShardOptions from(PushgateConfig config) {
    return new ShardOptions(config.publicHost(), config.publicPort(),
      config.intLimit(Limit.MAX_FRAME_BYTES), config.intLimit(Limit.MAX_FRAGMENTS_PER_MESSAGE),
      config.intLimit(Limit.MAX_ROOMS_PER_CONNECTION), config.intLimit(Limit.MAX_ROOMS), config.intLimit(Limit.MAX_OUTBOUND_BYTES),
      config.heartbeatTimeoutMillis(), config.closeTimeoutMillis(), config.tickMillis());
  }
}
