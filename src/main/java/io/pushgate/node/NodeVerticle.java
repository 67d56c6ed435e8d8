package io.pushgate.node;

import io.pushgate.api.PushApiVerticle;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.LocalCodec;
import io.pushgate.cluster.Broadcaster;
import io.pushgate.cluster.ClusterBridgeVerticle;
import io.pushgate.cluster.ClusterOptions;
import io.pushgate.cluster.ClusterPushCodec;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.shard.ShardOptions;
import io.pushgate.shard.StreamJoin;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.pushgate.merge.MergeResult;
import io.pushgate.history.HistoryOptions;
import io.pushgate.merge.MergerOptions;
import io.pushgate.merge.MergerVerticle;
import io.pushgate.merge.HistoryPage;
import io.pushgate.merge.PushBatch;
import io.pushgate.security.NodeSecurity;
import io.pushgate.security.SecurityConfig;
import io.pushgate.vertx.VertxInternals;
import io.pushgate.shard.Budget;
import io.pushgate.shard.FanoutPressure;
import io.pushgate.shard.NodeRooms;
import io.pushgate.shard.ShardCommand;
import io.pushgate.shard.RoomCounts;
import io.pushgate.online.OnlineVerticle;
import io.pushgate.shard.ShardVerticle;
import io.netty.channel.EventLoop;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * One pushgate node: validates the configuration, then deploys the merger, the connection shards
 * (one per event loop) and the push API, in the order a push travels backwards, so that nothing
 * accepts work before what it hands work to is running. Shard i runs on event loop i; the merger,
 * the push API and the cluster and online verticles share the loop after the shards' when the pool
 * has one (Main sizes it so), so that a push is answered without waiting behind a tick's writes.
 */
public final class NodeVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(NodeVerticle.class.getName());

  private PushgateConfig config;
  private boolean ready;
  private Membership membership;
  private final NodeStats stats = new NodeStats();
  private final Instant startedAt = Instant.now();
  /**
   * Tells this node's broadcasts from the others'; new at every start, so a restarted node is a new
   * origin. Clustered, it is the cluster manager's own id of this member, so that peers can check a
   * message's sender against the current members.
   */
  private String nodeId;

  public NodeVerticle() {
  }

  /** For tests and embedding: a node with this configuration instead of {@code config()}. */
  public NodeVerticle(PushgateConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    try {
      config = config == null ? NodeConfig.load(config(), System.getenv()) : NodeConfig.check(config);
    } catch (IllegalArgumentException e) {
      log.severe(e.getMessage());
      return Future.failedFuture(e);
    }
    log.info(SecurityConfig.posture(config));
    SecurityConfig.warnings(config).forEach(log::warning);
    NodeConfig.unknownVariables(System.getenv()).forEach(name -> log.warning(name
      + " is set but names no setting (README, Configuration): it is ignored; a misspelled setting leaves its feature as it was"));
    nodeId = vertx.isClustered() ? VertxInternals.clusterManager(vertx).getNodeId() : UUID.randomUUID().toString();
    membership = new Membership(vertx, config);
    NodeRooms nodeRooms = new NodeRooms(config.intLimit(Limit.MAX_ROOMS));
    stats.add(NodeMeters.declare(membership, nodeRooms));
    stats.add(Stats.of(io.micrometer.core.instrument.Tags.empty(), null)).info("node", this::status);
    registerCodecs();
    vertx.eventBus().localConsumer(Addresses.STATUS, msg -> msg.reply(status()));
    vertx.eventBus().localConsumer(Addresses.DRAIN, this::drain);

    NodeSecurity security;
    try {
      security = NodeSecurity.create(vertx, config, stats);
    } catch (IllegalArgumentException e) {
      log.severe(e.getMessage());
      return Future.failedFuture(e);
    }
    int shards = config.shards();
    // Read once: the default listenSockets is sized from it, and the warning checks the same figure.
    long somaxconn = KernelCounters.somaxconn();
    ShardOptions shardOptions = ShardOptions.from(config, somaxconn);
    int sockets = VertxInternals.reusePortSpreads(vertx) ? shards * shardOptions.listenSockets() : 1;
    String queues = KernelCounters.listenQueueWarning(somaxconn, sockets, config.intLimit(Limit.ACCEPT_BACKLOG),
      config.intLimit(Limit.MAX_CONNECTIONS));
    if (queues != null) {
      log.warning(queues);
    }
    Budget connections = new Budget(config.intLimit(Limit.MAX_CONNECTIONS));
    List<EventLoop> loops = VertxInternals.eventLoops(vertx);
    EventLoop services = loops.size() > shards ? loops.get(shards) : null;
    FanoutPressure pressure = new FanoutPressure();
    Broadcaster broadcaster = new Broadcaster(vertx, nodeId, stats);
    return portFree(config.publicHost(), config.publicPort())
      .compose(v -> deploy(new MergerVerticle(MergerOptions.from(config), HistoryOptions.from(config), stats, pressure, nodeRooms, broadcaster::publish), services))
      .compose(id -> deploy(new ClusterBridgeVerticle(nodeId, stats, vertx), services))
      .compose(id -> deployShards(shards, loops, shardOptions, shard -> new ShardVerticle(shard.index(), shard.options(), connections,
        nodeRooms, pressure, v -> PublicRoutes.create(v, config), security, stats)))
      .compose(port -> deploy(new OnlineVerticle(config, nodeId, stats), services)
        .compose(id -> deploy(new PushApiVerticle(config, stats), services))
        .onSuccess(id -> {
          ready = true;
          log.info("pushgate node ready: " + shards + " shards, WebSocket on " + config.publicHost() + ":" + port
            + "/connect, push API on " + config.apiHost() + ":" + config.apiPort() + ", tick " + config.tickMillis() + " ms"
            + (vertx.isClustered() ? ", clustered" : ", standalone") + ", transport " + transport(shardOptions.listenSockets())
            + (services == null ? ", push API on the shards' event loops (" + loops.size() + " loops for " + shards + " shards)"
              : ", push API and merger on an event loop of their own"));
        }));
  }

  private Future<String> deploy(Deployable verticle, EventLoop loop) {
    return loop == null ? vertx.deployVerticle(verticle) : vertx.deployVerticle(VertxInternals.onEventLoop(verticle, loop));
  }

  /** Shard i and the options it listens with. */
  private record ShardPlace(int index, ShardOptions options) {
  }

  /**
   * The shards one after another, shard i on event loop i: each binds a listening socket of its own
   * on the port the first one got (publicPort 0 picks it), so they cannot start all at once.
   * Completes with that port.
   */
  private Future<Integer> deployShards(int shards, List<EventLoop> loops, ShardOptions options,
                                       java.util.function.Function<ShardPlace, ShardVerticle> create) {
    Future<Integer> port = Future.succeededFuture(options.publicPort());
    for (int i = 0; i < shards; i++) {
      int index = i;
      port = port.compose(p -> {
        ShardVerticle shard = create.apply(new ShardPlace(index, options.withPublicPort(p)));
        return deploy(shard, loops.get(index % loops.size())).map(id -> shard.listeningPort());
      });
    }
    return port;
  }

  /**
   * With SO_REUSEPORT a second node started on the same port by mistake would bind beside this one
   * and take part of its clients without a word. A plain socket cannot bind where anyone listens,
   * so trying one first keeps "address in use" an error.
   */
  private Future<Void> portFree(String host, int port) {
    if (port == 0) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(host, port));
        return null;
      } catch (IOException e) {
        throw new IllegalStateException("cannot listen on the public port " + host + ":" + port + " (publicPort): " + e.getMessage(), e);
      }
    });
  }

  /**
   * Which socket transport the node runs on, for the start line: epoll (Linux, x86_64 and arm64 in
   * the jar) or NIO, with the reason native was not available, so an operator sees why; and whether
   * the shards accept on sockets of their own (epoll only) or share one.
   */
  private String transport(int socketsPerShard) {
    if (vertx.isNativeTransportEnabled()) {
      return VertxInternals.reusePortSpreads(vertx) ? "epoll (native), " + socketsPerShard
        + (socketsPerShard == 1 ? " listening socket" : " listening sockets") + " per shard"
        : "native (kqueue), one listening socket shared by the shards";
    }
    Throwable cause = vertx.unavailableNativeTransportCause();
    return "NIO (native unavailable: " + (cause == null ? "not requested" : cause.getMessage()) + "), one listening socket shared by the shards";
  }

  /** Messages between this node's verticles travel by reference; broadcasts between nodes have their own wire form. */
  private void registerCodecs() {
    for (Class<?> local : List.of(PushBatch.class, MergeResult.Accepted.class, MergeResult.Refused.class, StreamJoin.class, RoomCounts.class,
      HistoryPage.class)) {
      LocalCodec.register(vertx, local);
    }
    // Every command a shard takes, so that a new one cannot be sent without a codec (send would throw).
    for (Class<?> command : ShardCommand.class.getPermittedSubclasses()) {
      LocalCodec.register(vertx, command);
    }
    if (vertx.isClustered()) {
      try {
        vertx.eventBus().registerCodec(new ClusterPushCodec(ClusterOptions.from(config)));
      } catch (IllegalStateException alreadyRegistered) {
        // a second node in the same Vert.x instance (tests)
      }
    }
  }

  /**
   * How long a drain waits for the push API to leave the cluster's event bus before it closes clients.
   * .ci/k8s-validate reads it, SPREAD_SHARE_PERCENT below and Main.DRAIN_SHARE_PERCENT to check the
   * manifests' shutdown budget.
   */
  static final long API_DRAIN_MILLIS = 2_000;
  /** The share of the shutdown budget, in percent, over which the drain may spread its 1001s at most. */
  static final long SPREAD_SHARE_PERCENT = 50;

  /** This node's /stats, the figures of every component added up. */
  public NodeStats stats() {
    return stats;
  }

  /**
   * Shutdown in the order a push travels: no new event-bus pushes reach this node, then the merger
   * flushes what it holds and the shards close their clients with 1001 after the last frame.
   */
  private void drain(Message<Object> msg) {
    ready = false;
    // The spread takes at most a share of what is left of the shutdown: the last flush and the
    // cluster leave come after it, inside the same deadline.
    long budget = msg.body() instanceof JsonObject j && j.containsKey("budgetMillis") ? j.getLong("budgetMillis")
      : config.number(Setting.SHUTDOWN_TIMEOUT_MILLIS);
    long window = Math.min(config.number(Setting.DRAIN_SPREAD_MILLIS), budget * SPREAD_SHARE_PERCENT / 100);
    JsonObject spread = new JsonObject().put("windowMillis", window)
      .put("minClosesPerSecond", (double) config.number(Setting.DRAIN_MIN_CLOSES_PER_SECOND));
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(window + config.closeTimeoutMillis() + 10_000);
    // Unregistering the clustered push consumer is a cluster operation: a slow cluster (a migration,
    // a split) must not hold back the spread of 1001s, which the shutdown's deadline would then cut
    // short. Pushes that still arrive are refused by the draining merger.
    DeliveryOptions unregister = new DeliveryOptions().setLocalOnly(true).setSendTimeout(API_DRAIN_MILLIS);
    vertx.eventBus().request(Addresses.API_DRAIN, null, unregister)
      .recover(e -> {
        log.warning("draining: the event-bus push consumer was not unregistered within " + API_DRAIN_MILLIS + " ms (" + e.getMessage()
          + "); the clients are closed now all the same, and event-bus pushes that still come are refused");
        return Future.succeededFuture();
      })
      .compose(v -> vertx.eventBus().<JsonObject>request(Addresses.MERGE_DRAIN, spread, options))
      .onSuccess(reply -> msg.reply(reply.body()))
      .onFailure(e -> msg.fail(500, "drain failed: " + e.getMessage()));
  }

  /** The node's state for /ready and /stats; ready once deployed, not draining, and with enough peers. */
  private JsonObject status() {
    String lonely = membership == null ? null : membership.notEnough();
    JsonObject status = new JsonObject()
      .put("ready", ready && lonely == null)
      .put("nodeId", nodeId)
      .put("clustered", vertx.isClustered())
      .put("shards", config == null ? 0 : config.shards())
      .put("startedAt", startedAt.toString());
    if (ready && lonely != null) {
      status.put("notReadyBecause", lonely);
    }
    return status;
  }
}
