package io.pushgate.online;

import io.pushgate.bus.Addresses;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
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
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Online counts without presence lists, shared between nodes only where someone asked for them.
 *
 * <p>Once per interval each shard reports what changed (member counts of rooms that gained or lost
 * members, rooms that gained their first watcher or lost their last), so this verticle keeps the
 * node's count of every room without copying them all. Between nodes only rooms that someone
 * watches (a JOIN with {@code "online": true}, anywhere in the cluster) are shared, and only counts
 * that changed since they were last sent; every {@link #FULL_EVERY} intervals, and whenever a new
 * node appears, a node sends its whole state so that a newcomer converges. A node with a hundred
 * thousand rooms nobody watches sends a heartbeat of a few dozen bytes.
 *
 * <p>What other nodes send is bounded and checked: only current cluster members are heard, rooms
 * must be valid names, counts must be plausible, and no node may announce more than maxRooms rooms.
 */
public final class OnlineVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(OnlineVerticle.class.getName());
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000);
  /**
   * A node that left the cluster stops counting at once; one that stays a member but falls silent
   * (hung, or draining) after this many intervals, and never sooner than {@link #MIN_EXPIRY_MILLIS}:
   * a busy node's interval can come late, and its viewers should not blink out of the count.
   */
  private static final int EXPIRY_INTERVALS = 3;
  private static final long MIN_EXPIRY_MILLIS = 10_000;
  /** A whole state every this many intervals, so that a node that missed a delta converges. */
  static final int FULL_EVERY = 10;
  private static final long QUERY_TIMEOUT_MILLIS = 1_000;

  /** What this node knows of another node: the rooms it watches and its counts of watched rooms. */
  private static final class Peer {
    long seenNanos;
    final Set<String> watched = new HashSet<>();
    final Map<String, Integer> counts = new HashMap<>();
  }

  private final PushgateConfig config;
  private final String nodeId;
  private final int shards;
  private final int maxRooms;
  private final int maxCount;

  /** Per shard: room → members, as last reported. */
  private final List<Map<String, Integer>> shardCounts = new ArrayList<>();
  /** Room → members on this node. */
  private final Map<String, Integer> localCounts = new HashMap<>();
  /** Room → shards of this node watching it. */
  private final Map<String, Integer> localWatched = new HashMap<>();
  private final Map<String, Peer> peers = new HashMap<>();
  /** Room → nodes (this one included) watching it: the rooms whose counts cross the cluster. */
  private final Map<String, Integer> watchedBy = new HashMap<>();
  /** This node's count of each cluster-watched room as last published. */
  private final Map<String, Integer> published = new HashMap<>();
  /** Rooms whose count this node must look at again at its next publication. */
  private Set<String> dirty = new HashSet<>();
  private final Set<String> watchAdded = new HashSet<>();
  private final Set<String> watchRemoved = new HashSet<>();
  private boolean sendFull = true;
  private long intervals;

  private Map<String, Integer> totals = Map.of();
  private boolean counting;
  private long publications;
  private long bytesPublished;
  private long peerMessagesRefused;

  public OnlineVerticle(PushgateConfig config, String nodeId) {
    this.config = config;
    this.nodeId = nodeId;
    this.shards = config.shards();
    this.maxRooms = config.intLimit(Limit.MAX_ROOMS);
    this.maxCount = config.intLimit(Limit.MAX_CONNECTIONS);
    for (int i = 0; i < shards; i++) {
      shardCounts.add(new HashMap<>());
    }
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().<String>localConsumer(Addresses.ROOM_ONLINE, msg -> roomCount(msg.body()).onComplete(ar -> msg.reply(ar.result())));
    vertx.eventBus().localConsumer(Addresses.stats("online"), msg -> msg.reply(new JsonObject()
      .put("roomsCounted", localCounts.size()).put("roomsWatched", localWatched.size()).put("roomsShared", watchedBy.size())
      .put("nodesReporting", peers.size() + 1)
      .put("publications", publications).put("bytesPublished", bytesPublished).put("peerMessagesRefused", peerMessagesRefused)));
    vertx.setPeriodic(config.onlineIntervalMillis(), id -> count());
    if (!vertx.isClustered()) {
      return Future.succeededFuture();
    }
    return Future.all(
      vertx.eventBus().<JsonObject>consumer(Addresses.CLUSTER_ONLINE, this::onPeerCounts).completion(),
      vertx.eventBus().<String>consumer(Addresses.onlineQuery(nodeId), msg -> msg.reply(localCountOf(msg.body()))).completion());
  }

  // ---- this node ----

  private void count() {
    if (counting) {
      return; // the previous round has not finished: skip rather than pile up requests
    }
    counting = true;
    List<Future<RoomCounts>> replies = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) {
      replies.add(vertx.eventBus().<RoomCounts>request(Addresses.shardCounts(i), null, LOCAL).map(Message::body));
    }
    Future.join(replies).onComplete(ar -> {
      counting = false;
      for (int i = 0; i < shards; i++) {
        if (replies.get(i).succeeded()) {
          apply(i, replies.get(i).result());
        }
      }
      forgetSilentPeers();
      if (vertx.isClustered()) {
        publish();
      }
      handTotalsToShards();
    });
  }

  private void apply(int shard, RoomCounts report) {
    Map<String, Integer> counts = shardCounts.get(shard);
    report.counts().forEach((room, n) -> {
      Integer before = n == 0 ? counts.remove(room) : counts.put(room, n);
      int delta = n - (before == null ? 0 : before);
      if (delta != 0) {
        localCounts.merge(room, delta, (a, b) -> a + b == 0 ? null : a + b);
        dirty.add(room);
      }
    });
    report.watchChanges().forEach((room, watched) -> {
      if (watched) {
        if (localWatched.merge(room, 1, Integer::sum) == 1) {
          localWatchChanged(room, true);
        }
      } else if (localWatched.containsKey(room) && localWatched.merge(room, -1, (a, b) -> a + b <= 0 ? null : a + b) == null) {
        localWatchChanged(room, false);
      }
    });
  }

  private void localWatchChanged(String room, boolean watched) {
    if (watched ? !watchRemoved.remove(room) : !watchAdded.remove(room)) {
      (watched ? watchAdded : watchRemoved).add(room);
    }
    watchedByChanged(room, watched);
  }

  private void watchedByChanged(String room, boolean watched) {
    if (watched) {
      if (watchedBy.merge(room, 1, Integer::sum) == 1) {
        dirty.add(room); // newly shared: this node's count has to go out
      }
    } else if (watchedBy.merge(room, -1, (a, b) -> a + b <= 0 ? null : a + b) == null) {
      published.remove(room);
    }
  }

  private void publish() {
    JsonObject message = new JsonObject().put("node", nodeId);
    JsonObject counts = new JsonObject();
    boolean full = sendFull || intervals % FULL_EVERY == 0;
    intervals++;
    if (full) {
      sendFull = false;
      message.put("full", true).put("watch", new JsonArray(new ArrayList<>(localWatched.keySet())));
      published.clear();
      watchedBy.keySet().forEach(room -> {
        int n = localCounts.getOrDefault(room, 0);
        if (n > 0) {
          counts.put(room, n);
          published.put(room, n);
        }
      });
    } else {
      if (!watchAdded.isEmpty()) {
        message.put("watch", new JsonArray(new ArrayList<>(watchAdded)));
      }
      if (!watchRemoved.isEmpty()) {
        message.put("unwatch", new JsonArray(new ArrayList<>(watchRemoved)));
      }
      for (String room : dirty) {
        if (watchedBy.containsKey(room)) {
          int n = localCounts.getOrDefault(room, 0);
          if (n != published.getOrDefault(room, 0)) {
            counts.put(room, n);
            if (n == 0) {
              published.remove(room);
            } else {
              published.put(room, n);
            }
          }
        }
      }
    }
    if (!counts.isEmpty()) {
      message.put("counts", counts);
    }
    watchAdded.clear();
    watchRemoved.clear();
    dirty = new HashSet<>();
    publications++;
    bytesPublished += message.toBuffer().length();
    vertx.eventBus().publish(Addresses.CLUSTER_ONLINE, message);
  }

  /** The cluster-wide count of every room watched on this node, handed to every shard by reference. */
  private void handTotalsToShards() {
    Map<String, Integer> next = new HashMap<>(localWatched.size() * 2);
    for (String room : localWatched.keySet()) {
      next.put(room, clusterCount(room));
    }
    totals = Map.copyOf(next);
    ShardCommand.Online command = new ShardCommand.Online(totals);
    for (int i = 0; i < shards; i++) {
      vertx.eventBus().send(Addresses.shard(i), command, LOCAL);
    }
  }

  private int clusterCount(String room) {
    int n = localCounts.getOrDefault(room, 0);
    for (Peer peer : peers.values()) {
      n += peer.counts.getOrDefault(room, 0);
    }
    return n;
  }

  private int localCountOf(String room) {
    return room == null || RoomName.problem(room) != null ? 0 : localCounts.getOrDefault(room, 0);
  }

  /**
   * GET /rooms/{room}: a room shared between nodes is answered from what they sent; any other room
   * is asked of each known node at once, since nobody shares its count unasked.
   */
  private Future<Integer> roomCount(String room) {
    List<String> others = new ArrayList<>(members());
    others.remove(nodeId);
    if (watchedBy.containsKey(room) || others.isEmpty()) {
      return Future.succeededFuture(clusterCount(room));
    }
    DeliveryOptions ask = new DeliveryOptions().setSendTimeout(QUERY_TIMEOUT_MILLIS);
    List<Future<Integer>> answers = new ArrayList<>();
    // Every member, not only the nodes heard from: a member that is no pushgate node has no
    // handler and fails at once, while a node whose last interval came late still counts.
    for (String peer : others) {
      answers.add(vertx.eventBus().<Object>request(Addresses.onlineQuery(peer), room, ask)
        .map(m -> m.body() instanceof Integer n && n >= 0 && n <= maxCount ? n : 0));
    }
    int local = localCountOf(room);
    return Future.join(answers).transform(ar -> Future.succeededFuture(
      local + answers.stream().filter(Future::succeeded).mapToInt(Future::result).sum()));
  }

  // ---- other nodes ----

  private void forgetSilentPeers() {
    long expiry = System.nanoTime() - Math.max(MIN_EXPIRY_MILLIS, EXPIRY_INTERVALS * config.onlineIntervalMillis()) * 1_000_000L;
    List<String> members = members();
    for (Iterator<Map.Entry<String, Peer>> it = peers.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Peer> entry = it.next();
      Peer peer = entry.getValue();
      if (peer.seenNanos < expiry || !members.contains(entry.getKey())) {
        it.remove();
        peer.watched.forEach(room -> watchedByChanged(room, false));
      }
    }
  }

  private void onPeerCounts(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Object node = body.getValue("node");
    if (nodeId.equals(node)) {
      return;
    }
    if (!(node instanceof String id) || !isMember(id)) {
      refusePeer("from a node that is not a cluster member");
      return;
    }
    Peer peer = peers.get(id);
    if (peer == null) {
      peer = new Peer();
      peers.put(id, peer);
      sendFull = true; // a newcomer hears everything at our next interval
    }
    peer.seenNanos = System.nanoTime();
    boolean full = Boolean.TRUE.equals(body.getValue("full"));
    if (full) {
      peer.watched.forEach(room -> watchedByChanged(room, false));
      peer.watched.clear();
      peer.counts.clear();
    }
    String problem = applyWatch(peer, body.getValue("watch"), true);
    if (problem == null) {
      problem = applyWatch(peer, body.getValue("unwatch"), false);
    }
    if (problem == null) {
      problem = applyCounts(peer, body.getValue("counts"));
    }
    if (problem != null) {
      refusePeer(problem);
    }
  }

  private String applyWatch(Peer peer, Object rooms, boolean watch) {
    if (rooms == null) {
      return null;
    }
    if (!(rooms instanceof JsonArray list) || list.size() > maxRooms) {
      return "a watch list that is not an array of at most maxRooms names";
    }
    for (Object o : list) {
      if (!(o instanceof String room) || RoomName.problem(room) != null) {
        return "a watched room that is not a valid room name";
      }
      if (watch ? peer.watched.size() < maxRooms && peer.watched.add(room) : peer.watched.remove(room)) {
        watchedByChanged(room, watch);
      }
      if (!watch) {
        peer.counts.remove(room);
      }
    }
    return null;
  }

  private String applyCounts(Peer peer, Object counts) {
    if (counts == null) {
      return null;
    }
    if (!(counts instanceof JsonObject map) || map.size() > maxRooms) {
      return "counts that are not an object of at most maxRooms rooms";
    }
    for (Map.Entry<String, Object> e : map) {
      if (!(e.getValue() instanceof Integer n) || n < 0 || n > maxCount || RoomName.problem(e.getKey()) != null) {
        return "a count that is not a valid room with 0 to maxConnections members";
      }
      if (n == 0) {
        peer.counts.remove(e.getKey());
      } else if (peer.counts.size() < maxRooms || peer.counts.containsKey(e.getKey())) {
        peer.counts.put(e.getKey(), n);
      }
    }
    return null;
  }

  private boolean isMember(String id) {
    return members().contains(id);
  }

  private List<String> members() {
    ClusterManager manager = VertxInternals.clusterManager(vertx);
    return manager == null ? List.of() : manager.getNodes();
  }

  private void refusePeer(String problem) {
    if (peerMessagesRefused++ % 1_000 == 0) {
      log.warning("ignored online counts " + problem + " (" + peerMessagesRefused + " such messages so far)");
    }
  }
}
