package io.pushgate.bench.soak;

import io.pushgate.bench.ClientSocket;
import io.pushgate.bench.Loopback;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The soak's WebSockets: the load generator's plain Netty client on a few event loops ("lanes"),
 * each socket bound to one of the source addresses 127.0.0.2 ... so that an hour of churn does not
 * run out of ephemeral ports while closed ones sit in TIME_WAIT. A client lives on one lane: its
 * socket's callbacks and its timers run there, one thread, nothing shared.
 */
final class Sockets {

  private static final long CONNECT_TIMEOUT_MILLIS = 10_000;

  final Vertx vertx;
  private final List<Context> lanes = new ArrayList<>();
  private final List<String> sources = Loopback.sources(8);
  private final AtomicInteger next = new AtomicInteger();

  Sockets(int loops) {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
    for (int i = 0; i < loops; i++) {
      lanes.add(((VertxInternal) vertx).createEventLoopContext());
    }
  }

  /** The next lane, round robin: where a new client will live. */
  Context lane() {
    return lanes.get(Math.floorMod(next.getAndIncrement(), lanes.size()));
  }

  /** Opens a WebSocket to {@code node}'s /connect with {@code token}; call it on the client's lane. */
  Future<ClientSocket> connect(Context lane, NodeProcess node, String token, Consumer<Buffer> onFrame, IntConsumer onClosed) {
    URI uri = URI.create("ws://127.0.0.1:" + node.publicPort + "/connect?token=" + token);
    String source = sources.get(Math.floorMod(next.getAndIncrement(), sources.size()));
    return ClientSocket.connect(((ContextInternal) lane).nettyEventLoop(), ((VertxInternal) vertx).transport().channelFactory(false),
      uri, source, CONNECT_TIMEOUT_MILLIS, onFrame, onClosed);
  }

  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
