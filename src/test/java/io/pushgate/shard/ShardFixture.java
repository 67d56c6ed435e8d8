package io.pushgate.shard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pushgate.security.ClientSession;
import io.pushgate.security.Grant;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A shard's pieces without a socket: connections on Netty EmbeddedChannels, each piece real, and
 * a listener that records what the connections say (or hands text to real client requests).
 */
final class ShardFixture implements ConnectionContext.Listener {

  final ShardOptions options;
  final ShardStats stats = new ShardStats(0, 100);
  final Hub hub;
  final ClientRequests requests;
  final ConnectionContext context;
  /** What the connections said, when {@link #handleRequests} is false. */
  final List<String> texts = new ArrayList<>();
  final List<Connection> closed = new ArrayList<>();
  /** JOINs of streams sent to the merger (options with streams): a test answers them with requests.onStreamJoined. */
  final List<StreamJoin> toMerger = new ArrayList<>();
  boolean handleRequests;

  ShardFixture(ShardOptions options, int maxRooms) {
    this.options = options;
    this.hub = new Hub(0, options, stats, new NodeRooms(maxRooms), new FanoutPressure());
    this.requests = new ClientRequests(options, stats, hub, null, 0, toMerger::add);
    this.context = new ConnectionContext(options, stats, this);
  }

  static ShardOptions options(int maxFrameBytes, int maxFragments, int maxRoomsPerConnection, int maxOutboundBytes) {
    return options(maxFrameBytes, maxFragments, maxRoomsPerConnection, maxOutboundBytes, io.pushgate.protocol.RoomPatterns.NONE);
  }

  /** With {@code streams} the rooms that are streams (their JOINs go to {@link #toMerger}). */
  static ShardOptions options(int maxFrameBytes, int maxFragments, int maxRoomsPerConnection, int maxOutboundBytes, io.pushgate.protocol.RoomPatterns streams) {
    ShardOptions d = ShardOptions.DEFAULTS;
    return new ShardOptions(d.publicHost(), d.publicPort(), maxFrameBytes, maxFragments, maxRoomsPerConnection, d.maxRooms(),
      maxOutboundBytes, d.heartbeatTimeoutMillis(), 200, d.tickMillis(), streams, 0, d.maxQueuedRequests(), d.acceptBacklog(),
      d.listenSockets());
  }

  /** A connection on its own channel, added to the hub as the shard would. */
  Connection connect(ClientSession session) {
    Connection c = new Connection(context, session, System.nanoTime());
    EmbeddedChannel channel = new EmbeddedChannel(c);
    hub.add(c);
    return c;
  }

  Connection connect() {
    return connect(ClientSession.detached(Grant.OPEN, 0, 0, 0));
  }

  static EmbeddedChannel channel(Connection c) {
    return (EmbeddedChannel) c.ctx.channel();
  }

  /** The next thing the connection wrote: a frame object, or the bytes of a shared encoded frame. */
  static Object written(Connection c) {
    return channel(c).readOutbound();
  }

  /** The next text the client got, from a frame object or from shared wire bytes. */
  static JsonObject nextJson(Connection c) {
    Object out = written(c);
    if (out instanceof TextWebSocketFrame frame) {
      try {
        return new JsonObject(frame.text());
      } finally {
        frame.release();
      }
    }
    if (out instanceof ByteBuf wire) {
      try {
        int len = wire.getUnsignedByte(1) & 0x7f;
        int header = len < 126 ? 2 : len == 126 ? 4 : 10;
        return new JsonObject(wire.toString(wire.readerIndex() + header, wire.readableBytes() - header, StandardCharsets.UTF_8));
      } finally {
        wire.release();
      }
    }
    throw new AssertionError("expected a text message, got " + out);
  }

  static int closeCode(Connection c) {
    Object out = written(c);
    if (!(out instanceof CloseWebSocketFrame close)) {
      throw new AssertionError("expected a close frame, got " + out);
    }
    try {
      return close.statusCode();
    } finally {
      close.release();
    }
  }

  @Override
  public void onText(Connection c, String text) {
    if (handleRequests) {
      requests.onText(c, text);
    } else {
      texts.add(text);
    }
  }

  @Override
  public void onRateLimited(Connection c, String text) {
    requests.onRateLimited(c, text);
  }

  @Override
  public void onClosed(Connection c) {
    closed.add(c);
    hub.remove(c);
  }
}
