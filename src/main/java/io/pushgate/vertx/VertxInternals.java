package io.pushgate.vertx;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.UnixChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.CloseFuture;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.impl.ServerID;
import io.vertx.core.spi.cluster.ClusterManager;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one place where pushgate reaches below Vert.x's public API: every cast to a Vert.x
 * {@code internal} or {@code impl} type and every change to a connection's Netty pipeline. A Vert.x
 * upgrade that moves these breaks here and nowhere else. {@code internal} types are preferred; the
 * only {@code impl} one is the HTTP server connection, whose channel no internal type exposes.
 */
public final class VertxInternals {

  /** The name of Vert.x's own handler in a connection's pipeline, which ours precede or replace. */
  private static final String VERTX_HANDLER = "handler";

  private VertxInternals() {
  }

  /** The Netty channel of an HTTP server connection, or null for a kind that does not expose one. */
  public static Channel channel(HttpConnection connection) {
    return connection instanceof io.vertx.core.http.impl.HttpServerConnection http ? http.channelHandlerContext().channel() : null;
  }

  /**
   * Puts {@code handler} just before Vert.x's own handler of an HTTP/1 server connection: it sees
   * each request decoded, before Vert.x does, and each of Vert.x's answers before it is encoded.
   * @return false when the connection is of a kind that does not expose its channel
   */
  public static boolean beforeVertx(HttpConnection connection, String name, ChannelHandler handler) {
    Channel channel = channel(connection);
    if (channel == null || channel.pipeline().get(VERTX_HANDLER) == null) {
      return false;
    }
    channel.pipeline().addBefore(VERTX_HANDLER, name, handler);
    return true;
  }

  /**
   * Upgrades the connection under {@code ctx} (a handler placed with {@link #beforeVertx}) to a
   * WebSocket for {@code request}, a well-formed version-13 handshake: Netty's handshaker writes the
   * 101 and puts its frame decoder in the place of Vert.x's HTTP decoder (and its frame encoder beside
   * Vert.x's HTTP encoder, which it removes once the 101 is out). Netty validates text frames as
   * UTF-8 only through its protocol handler, which Vert.x does not use, so invalid bytes would reach
   * the shard as U+FFFD: Netty's validator, placed after the decoder, raises a
   * CorruptedWebSocketFrameException (1007) instead. It is in place before the decoders are swapped,
   * which at once decodes any frames the client sent with its request: those pass it too, and reach
   * {@code ctx}'s handler, which stays in the pipeline.
   */
  public static void upgrade(ChannelHandlerContext ctx, HttpRequest request, WebSocketDecoderConfig frames) {
    ctx.pipeline().addBefore(ctx.name(), "pushgate-utf8", new Utf8FrameValidator(false));
    try {
      new WebSocketServerHandshaker13(request.uri(), null, frames).handshake(ctx.channel(),
        new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(), Unpooled.EMPTY_BUFFER,
          request.headers(), EmptyHttpHeaders.INSTANCE));
    } catch (RuntimeException e) {
      ctx.pipeline().remove("pushgate-utf8");
      throw e;
    }
  }

  /**
   * Replaces Vert.x's handler of a connection upgraded to a WebSocket with {@code handler}, which
   * from then on receives the connection's frames; nothing of Vert.x's HTTP connection is left in
   * the pipeline. {@code outboundLimit} bounds what the channel queues before it reports itself
   * unwritable.
   */
  public static void takeOver(Channel channel, String name, ChannelHandler handler, WriteBufferWaterMark outboundLimit) {
    if (channel.pipeline().get(SslHandler.class) != null) {
      // writeDirect would put plaintext beside the TLS stream: the public port has no TLS of its own.
      throw new IllegalStateException("TLS on the public port is not supported: terminate it in front of pushgate");
    }
    channel.config().setWriteBufferWaterMark(outboundLimit);
    channel.pipeline().replace(VERTX_HANDLER, name, handler);
  }

  /**
   * Writes {@code length} bytes at {@code address} (direct memory) straight to the socket under
   * {@code ctx}, beside Netty's pipeline: the fan-out's usual write without the pipeline's hops,
   * an outbound-buffer entry, a duplicate buffer and its two atomic reference-count updates on
   * memory every shard shares. Only when nothing of the channel waits in Netty's outbound buffer,
   * so these bytes cannot overtake any, and only on the channel's own event loop, which alone
   * closes its file descriptor. Frames are pre-encoded WebSocket frames, and the handlers between
   * ours and the socket (the WebSocket encoder) pass such bytes on unchanged.
   * @return the bytes the kernel took (0 when the socket's buffer is full), or -1 when the write
   *         must go through Netty: another transport, another thread, a channel closed or closing,
   *         bytes queued, or an error, which Netty's own write then meets and handles as usual
   */
  public static int writeDirect(ChannelHandlerContext ctx, long address, int length) {
    UnixChannel unix = address == 0 ? null : directly(ctx);
    try {
      return unix == null ? -1 : unix.fd().writeAddress(address, 0, length);
    } catch (IOException e) {
      return -1;
    }
  }

  /** The socket under {@code ctx} when bytes may be written straight to it now (see writeDirect), else null. */
  private static UnixChannel directly(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    if (!(channel instanceof UnixChannel unix) || !ctx.executor().inEventLoop() || !channel.isActive()) {
      return null;
    }
    ChannelOutboundBuffer queued = channel.unsafe().outboundBuffer();
    return queued == null || queued.totalPendingWriteBytes() != 0 ? null : unix;
  }

  /** Most frames one {@link Gather} takes; a socket handed more in one delivery gets them through Netty. */
  public static final int MAX_GATHER = 64;

  /** One iovec: a base address and a length, 8 bytes each on the 64-bit machines this runs on. */
  private static final int IOVEC_BYTES = 16;

  private static final FastThreadLocal<Gather> GATHERS = new FastThreadLocal<>() {
    @Override
    protected Gather initialValue() {
      return new Gather();
    }

    @Override
    protected void onRemoval(Gather gather) {
      gather.iovecs.release();
    }
  };

  /**
   * The calling event loop's own iovec array, for {@link Gather#writeTo}: one per thread, so the
   * shards on a loop share it and it lives as long as the loop (1 KB of direct memory).
   */
  public static Gather gather() {
    return GATHERS.get();
  }

  /**
   * Several frames for one socket, written with one writev(2) straight to it: what {@link #writeDirect}
   * does for one frame, for a connection handed several in one delivery (rooms of its own with items
   * in the same tick, a stream's frame and a low-priority one). The kernel then takes them as one
   * write, as it did from Netty's flush, without a duplicate buffer and an outbound-buffer entry each.
   */
  public static final class Gather {
    private final io.netty.buffer.ByteBuf iovecs = io.netty.buffer.Unpooled.directBuffer(MAX_GATHER * IOVEC_BYTES);
    private int count;

    private Gather() {
    }

    /**
     * Adds {@code length} bytes at {@code address} (direct memory, held by the caller until
     * {@link #writeTo} returns).
     * @return false, adding nothing, when the frame cannot go this way (no address, or full)
     */
    public boolean add(long address, int length) {
      if (address == 0 || count == MAX_GATHER || !iovecs.hasMemoryAddress() || io.netty.util.internal.PlatformDependent.addressSize() != 8) {
        return false;
      }
      long entry = iovecs.memoryAddress() + (long) count * IOVEC_BYTES;
      io.netty.util.internal.PlatformDependent.putLong(entry, address);
      io.netty.util.internal.PlatformDependent.putLong(entry + 8, length);
      count++;
      return true;
    }

    /** Empties the array without writing. */
    public void clear() {
      count = 0;
    }

    /**
     * Writes what was added to the socket under {@code ctx} in one writev(2), under the conditions of
     * {@link #writeDirect}, and empties the array.
     * @return the bytes the kernel took (0 when the socket's buffer is full), or -1 when the writes must
     *         go through Netty (as for writeDirect)
     */
    public long writeTo(ChannelHandlerContext ctx) {
      int n = count;
      count = 0;
      UnixChannel unix = n == 0 ? null : directly(ctx);
      try {
        return unix == null ? -1 : unix.fd().writevAddresses(iovecs.memoryAddress(), n);
      } catch (IOException e) {
        return -1;
      }
    }
  }

  /** Puts {@code handler} first in the connection's pipeline, to see every byte it reads. */
  public static void addFirst(Channel channel, String name, ChannelHandler handler) {
    channel.pipeline().addFirst(name, handler);
  }

  /**
   * Runs {@code left} (on a Hazelcast thread) each time a member with the attribute {@code marked}
   * leaves the cluster of a clustered Vert.x. Vert.x's own node listener is the cluster manager's only
   * one, so this listens to Hazelcast.
   * @return what removes the listener
   */
  public static Runnable onMemberLeft(Vertx vertx, String marked, Runnable left) {
    com.hazelcast.cluster.Cluster cluster = hazelcast(vertx).getCluster();
    java.util.UUID id = cluster.addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
      @Override
      public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
      }

      @Override
      public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
        if (event.getMember().getAttribute(marked) != null) {
          left.run();
        }
      }
    });
    return () -> {
      try {
        cluster.removeMembershipListener(id);
      } catch (RuntimeException e) {
        // The member is shutting down: its listeners go with it.
      }
    };
  }

  /** How many members of a clustered Vert.x's cluster, itself included, carry the attribute {@code marked}. */
  public static int membersMarked(Vertx vertx, String marked) {
    return (int) hazelcast(vertx).getCluster().getMembers().stream().filter(m -> m.getAttribute(marked) != null).count();
  }

  /** The Hazelcast member under a clustered Vert.x. */
  public static com.hazelcast.core.HazelcastInstance hazelcast(Vertx vertx) {
    return ((io.vertx.spi.cluster.hazelcast.HazelcastClusterManager) clusterManager(vertx)).getHazelcastInstance();
  }

  /**
   * The Vert.x node id of a Hazelcast member (what {@code /stats} names {@code cluster.nodeId}): Vert.x
   * gives each node a random id of its own and keeps it in a member attribute, not the member's UUID.
   */
  public static String nodeId(com.hazelcast.cluster.Member member) {
    String id = member.getAttribute("__vertx.nodeId");
    return id != null ? id : member.getUuid().toString();
  }

  /** The cluster manager of a clustered Vert.x, null when standalone. */
  public static ClusterManager clusterManager(Vertx vertx) {
    return ((VertxInternal) vertx).clusterManager();
  }

  /**
   * The Netty buffer under a Vert.x one, at the same indexes, not copied: a broadcast's items are
   * checked where they lie in the message. Only read it; its owner releases it.
   */
  public static ByteBuf bytes(Buffer buffer) {
    return ((BufferInternal) buffer).unwrap();
  }

  /** Vert.x's event loops, in a fixed order: the ones deployments are placed on. */
  public static List<EventLoop> eventLoops(Vertx vertx) {
    List<EventLoop> loops = new ArrayList<>();
    ((VertxInternal) vertx).nettyEventLoopGroup().forEach(e -> loops.add((EventLoop) e));
    return loops;
  }

  /**
   * {@code verticle} deployed on {@code loop} instead of the event loop Vert.x would pick next: Vert.x
   * hands each new deployment the next loop of its pool in turn, whoever else asked for one before,
   * so only an explicit loop keeps a verticle off the shards' loops. Deploy the returned wrapper with
   * {@code deployVerticle}: it runs {@code verticle} in a context of its own on {@code loop}, and
   * whatever the verticle opens there (servers, timers) is closed with the deployment.
   */
  public static Deployable onEventLoop(Deployable verticle, EventLoop loop) {
    return new Deployable() {
      private ContextInternal pinned;

      @Override
      public Future<?> deploy(Context context) {
        ContextInternal deployment = (ContextInternal) context;
        CloseFuture closes = new CloseFuture();
        deployment.closeFuture().add(closes);
        pinned = ((VertxInternal) context.owner()).contextBuilder().withEventLoop(loop).withCloseFuture(closes)
          .withClassLoader(deployment.classLoader()).build();
        return onPinned(deployment, () -> verticle.deploy(pinned));
      }

      @Override
      public Future<?> undeploy(Context context) {
        return onPinned((ContextInternal) context, () -> verticle.undeploy(pinned));
      }

      private Future<?> onPinned(ContextInternal caller, java.util.concurrent.Callable<Future<?>> step) {
        Promise<Object> done = caller.promise();
        pinned.runOnContext(v -> {
          try {
            step.call().onComplete(ar -> done.handle(ar.map(x -> (Object) x)));
          } catch (Exception e) {
            done.fail(e);
          }
        });
        return done.future();
      }
    };
  }

  /**
   * Whether listening sockets bound with SO_REUSEPORT share the incoming connections: Linux spreads
   * them over the sockets (by a hash of each connection's addresses), which Vert.x's epoll transport
   * reaches. BSD and macOS give them all to one socket, and NIO may not set the option at all.
   */
  public static boolean reusePortSpreads(Vertx vertx) {
    return vertx.isNativeTransportEnabled() && System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
  }

  /**
   * After a server of this Vert.x listens on {@code host:port}, the next server on the same address
   * binds a listening socket of its own (with SO_REUSEPORT) instead of joining this one. Vert.x shares
   * one socket between all servers of an address and hands its connections round-robin from a single
   * accept queue; separate sockets each get their own queue (and backlog) and the kernel spreads new
   * connections over them.
   */
  public static void listenAlone(Vertx vertx, String host, int port) {
    Map<ServerID, ?> shared = ((VertxInternal) vertx).sharedTcpServers();
    synchronized (shared) {
      shared.keySet().removeIf(id -> id.port() == port && host.equals(id.host()));
    }
  }
}
