package io.pushgate.online;

import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.metrics.Throttle;
import io.pushgate.protocol.RoomName;
import io.pushgate.shard.RoomCounts;
import io.pushgate.shard.ShardCommand;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Online counts without presence lists, shared between nodes only where someone asked for them.
 *
 * <p>Once per interval each shard reports what changed ({@link LocalTally}). Between nodes only rooms
 * that someone watches (a JOIN with {@code "online": true}, anywhere in the cluster) are shared, and
 * only counts that changed since they were last sent; every {@link #FULL_EVERY} intervals, and
 * whenever a new node appears, a node sends its whole state so that a newcomer converges. A node with
 * a hundred thousand rooms nobody watches sends a heartbeat of a few dozen bytes. What other nodes
 * send is taken only from current members, bounded and checked ({@link PeerTally}).
 */
public final class OnlineVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(OnlineVerticle.class.getName());
  /**
   * A node that left the cluster stops counting at once; one that stays a member but falls silent
   * (hung, or draining) after this many intervals, and never sooner than {@link #MIN_EXPIRY_MILLIS}:
   * a busy node's interval can come late, and its viewers should not blink out of the count.
   */
  private static final int EXPIRY_INTERVALS = 3;
  private static final long MIN_EXPIRY_MILLIS = 10_000;
  /**
   * A room's watchers hear nothing sooner than this share of an interval after their last ONLINE
   * (PROTOCOL: at most one an interval). Not all of it: rounds end when their last shard answers,
   * a few milliseconds later or sooner each time, and a room whose count came that much early
   * would otherwise wait a whole interval more.
   */
  public static final int ONLINE_SPACING_PERCENT = 90;

  /** A whole state every this many intervals, so that a node that missed a delta converges. */
  static final int FULL_EVERY = 10;
  private static final long QUERY_TIMEOUT_MILLIS = 1_000;

  private final PushgateConfig config;
  private final String nodeId;
  private final int shards;
  private final LocalTally local;
  private final PeerTally peers;
  /** Room → nodes (this one included) watching it: the rooms whose counts cross the cluster. */
  private final Map<String, Integer> watchedBy = new HashMap<>();
  /** This node's count of each cluster-watched room as last published. */
  private final Map<String, Integer> published = new HashMap<>();
  /**
   * Rooms whose count must be looked at again at the next publication, besides those recounted: a set,
   * so that peers re-sharing the same rooms within one interval add nothing (at most every room shared).
   */
  private final Set<String> newlyShared = new java.util.LinkedHashSet<>();
  private boolean sendFull = true;
  private long intervals;
  private boolean counting;
  /** Per shard: its last answer was lost (late), so it is asked for everything. */
  private final Boolean[] lostReport;
  private final Counter publications;
  private final Counter bytesPublished;
  private final Counter peerMessagesRefused;
  /** One line per 10 s at most, as README promises: a member that keeps sending bad counts would otherwise flood the log. */
  private final Throttle refusals = new Throttle(10_000);

  public OnlineVerticle(PushgateConfig config, String nodeId, NodeStats nodeStats) {
    this.config = config;
    this.nodeId = nodeId;
    this.shards = config.shards();
    this.lostReport = new Boolean[shards];
    java.util.Arrays.fill(lostReport, Boolean.FALSE);
    this.local = new LocalTally(shards);
    this.peers = new PeerTally(config.intLimit(Limit.MAX_ROOMS), this::sharedChanged);
    Stats stats = nodeStats.add(Stats.of(Tags.empty(), null));
    // Sizes read from another thread: a racy but harmless read of one int field each.
    stats.gauge("online.roomsCounted", "pushgate_online_rooms_counted", "rooms with members on this node, as the online counter last heard", local.counts::size);
    stats.gauge("online.roomsWatched", "pushgate_online_rooms_watched", "rooms watched (JOIN with online) on this node", local.watched::size);
    stats.gauge("online.roomsShared", "pushgate_online_rooms_shared", "rooms watched anywhere in the cluster, whose counts nodes share", watchedBy::size);
    stats.gauge("online.nodesReporting", "pushgate_online_nodes", "nodes whose online counts this node holds, itself included", () -> peers.size() + 1);
    publications = stats.counter("online.publications", "pushgate_online_publications", "online-count messages this node published to the others");
    bytesPublished = stats.counter("online.bytesPublished", "pushgate_online_bytes_published", "bytes of the online-count messages this node published");
    peerMessagesRefused = stats.counter("online.peerMessagesRefused", "pushgate_online_peer_messages_refused",
      "online-count messages from other members ignored: not a member, malformed, or over the limits");
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().<String>localConsumer(Addresses.ROOM_ONLINE, msg -> roomCount(msg.body()).onComplete(ar -> msg.reply(ar.result())));
    vertx.setPeriodic(config.onlineIntervalMillis(), id -> interval());
    if (!vertx.isClustered()) {
      return Future.succeededFuture();
    }
    return Future.all(
      vertx.eventBus().consumer(Addresses.CLUSTER_ONLINE, this::onPeerCounts).completion(),
      vertx.eventBus().consumer(Addresses.onlineQuery(nodeId), msg -> msg.reply(localCountOf(decoded(msg) instanceof String room ? room : null))).completion());
  }

  private void interval() {
    if (counting) {
      return; // the previous round has not finished: skip rather than pile up requests
    }
    counting = true;
    List<Future<RoomCounts>> replies = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) {
      // A shard forgets what changed once it has answered: an answer that came too late is lost, so
      // that shard is asked for everything next time.
      replies.add(vertx.eventBus().<RoomCounts>request(Addresses.shardCounts(i), lostReport[i], Local.OPTIONS).map(Message::body));
    }
    Future.join(replies).onComplete(ar -> {
      counting = false;
      for (int i = 0; i < shards; i++) {
        lostReport[i] = replies.get(i).failed();
        if (replies.get(i).succeeded()) {
          local.apply(i, replies.get(i).result());
        }
      }
      long silentSince = System.nanoTime() - Math.max(MIN_EXPIRY_MILLIS, EXPIRY_INTERVALS * config.onlineIntervalMillis()) * 1_000_000L;
      peers.expire(members(), silentSince);
      LocalTally.Changes changes = local.takeChanges();
      changes.watchAdded().forEach(room -> sharedChanged(room, true));
      changes.watchRemoved().forEach(room -> sharedChanged(room, false));
      if (vertx.isClustered()) {
        publish(changes);
      }
      newlyShared.clear();
      handTotalsToShards();
    });
  }

  /** A node (this one or another) started or stopped watching {@code room}. */
  private void sharedChanged(String room, boolean watched) {
    if (watched) {
      if (watchedBy.merge(room, 1, Integer::sum) == 1) {
        newlyShared.add(room); // this node's count of it has to go out
      }
    } else if (watchedBy.merge(room, -1, (a, b) -> a + b <= 0 ? null : a + b) == null) {
      published.remove(room);
    }
  }

  private void publish(LocalTally.Changes changes) {
    JsonObject message = new JsonObject().put("node", nodeId);
    JsonObject counts = new JsonObject();
    boolean full = sendFull || intervals % FULL_EVERY == 0;
    intervals++;
    if (full) {
      sendFull = false;
      message.put("full", true).put("watch", new JsonArray(new ArrayList<>(local.watched.keySet())));
      published.clear();
      watchedBy.keySet().forEach(room -> publishCount(room, counts));
    } else {
      if (!changes.watchAdded().isEmpty()) {
        message.put("watch", new JsonArray(new ArrayList<>(changes.watchAdded())));
      }
      if (!changes.watchRemoved().isEmpty()) {
        message.put("unwatch", new JsonArray(new ArrayList<>(changes.watchRemoved())));
        // A peer drops this node's count of a room it unwatches; where others still watch it, the
        // count goes again in the same message (applied after the unwatch), changed or not.
        for (String room : changes.watchRemoved()) {
          if (watchedBy.containsKey(room)) {
            published.remove(room);
          }
          publishCount(room, counts);
        }
      }
      changes.recounted().forEach(room -> publishCount(room, counts));
      newlyShared.forEach(room -> publishCount(room, counts));
    }
    if (!counts.isEmpty()) {
      message.put("counts", counts);
    }
    publications.inc();
    bytesPublished.add(message.toBuffer().length());
    vertx.eventBus().publish(Addresses.CLUSTER_ONLINE, message);
  }

  /** Adds this node's count of {@code room} when the room is shared and the count is not what was last sent. */
  private void publishCount(String room, JsonObject counts) {
    if (!watchedBy.containsKey(room)) {
      return;
    }
    int n = local.count(room);
    if (n != published.getOrDefault(room, 0)) {
      counts.put(room, n);
      if (n == 0) {
        published.remove(room);
      } else {
        published.put(room, n);
      }
    }
  }

  /** The cluster-wide count of every room watched on this node, handed to every shard by reference. */
  private void handTotalsToShards() {
    Map<String, Integer> totals = new HashMap<>(local.watched.size() * 2);
    for (String room : local.watched.keySet()) {
      totals.put(room, PeerTally.sum(local.count(room), peers.count(room)));
    }
    ShardCommand.Online command = new ShardCommand.Online(Map.copyOf(totals), config.onlineIntervalMillis() * 1_000_000L * ONLINE_SPACING_PERCENT / 100);
    for (int i = 0; i < shards; i++) {
      vertx.eventBus().send(Addresses.shard(i), command, Local.OPTIONS);
    }
  }

  private int localCountOf(String room) {
    return room == null || RoomName.problem(room) != null ? 0 : local.count(room);
  }

  /**
   * GET /rooms/{room}: a room shared between nodes is answered from what they sent; any other room
   * is asked of each member at once, since nobody shares its count unasked.
   */
  private Future<Integer> roomCount(String room) {
    List<String> others = new ArrayList<>(members());
    others.remove(nodeId);
    if (watchedBy.containsKey(room) || others.isEmpty()) {
      return Future.succeededFuture(PeerTally.sum(local.count(room), peers.count(room)));
    }
    DeliveryOptions ask = new DeliveryOptions().setSendTimeout(QUERY_TIMEOUT_MILLIS);
    List<Future<Integer>> answers = new ArrayList<>();
    // Every member, not only the nodes heard from: a member that is no pushgate node has no
    // handler and fails at once, while a node whose last interval came late still counts.
    for (String peer : others) {
      answers.add(vertx.eventBus().<Object>request(Addresses.onlineQuery(peer), room, ask)
        .map(m -> m.body() instanceof Integer n && n >= 0 && n <= PeerTally.MAX_COUNT ? n : 0));
    }
    int mine = localCountOf(room);
    return Future.join(answers).transform(ar -> Future.succeededFuture(
      PeerTally.sum(mine, answers.stream().filter(Future::succeeded).mapToLong(Future::result).sum())));
  }

  private static final Object UNDECODABLE = new Object();

  /**
   * A member's message is decoded on first access to its body, by Vert.x: a JSON body past Jackson's
   * bounds (a number of 1,001 digits) throws there, inside the handler, which would leave it uncounted.
   */
  private static Object decoded(Message<?> msg) {
    try {
      return msg.body();
    } catch (RuntimeException e) {
      return UNDECODABLE;
    }
  }

  private void onPeerCounts(Message<?> msg) {
    // Any member may send anything to this address: a body that is no JSON object is refused, counted.
    Object decoded = decoded(msg);
    if (decoded == UNDECODABLE) {
      refusePeerMessage("a body that could not be decoded");
      return;
    }
    if (!(decoded instanceof JsonObject body)) {
      refusePeerMessage("a body that is no JSON object (" + (decoded == null ? "null" : decoded.getClass().getSimpleName()) + ")");
      return;
    }
    Object node = body.getValue("node");
    if (nodeId.equals(node)) {
      return;
    }
    String problem = node instanceof String id && members().contains(id)
      ? peers.apply(id, body, System.nanoTime(), () -> sendFull = true) // a newcomer hears everything next interval
      : "a sender that is not a cluster member";
    if (problem != null) {
      refusePeerMessage(problem);
    }
  }

  private void refusePeerMessage(String problem) {
    peerMessagesRefused.inc();
    long n = refusals.occurred();
    if (n > 0) {
      log.warning("ignored " + n + " online-count message(s) from other members since the last report, the last one for " + problem
        + " (total ignored: " + peerMessagesRefused.get() + ", online.peerMessagesRefused)");
    }
  }

  private List<String> members() {
    ClusterManager manager = VertxInternals.clusterManager(vertx);
    return manager == null ? List.of() : manager.getNodes();
  }
}
