package io.pushgate.config;

/**
 * Every bound the node enforces, with its configuration key, default and what happens when it is
 * reached. Code, tests and README all read from here so the three cannot drift apart.
 */
public enum Limit {
  MAX_CONNECTIONS("maxConnections", 19_000, 1,
    "new WebSocket handshakes are accepted and closed at once with 1013 (counted as refused.connection_limit)"),
  ACCEPT_BACKLOG("acceptBacklog", 65_535, 1,
    "connections each listening socket on the public port holds before it accepts them (the kernel caps it at net.core.somaxconn); a SYN that finds the queue full is dropped and its client retries 1 s or more later (counted as node.listenOverflows)"),
  MAX_ROOMS_PER_CONNECTION("maxRoomsPerConnection", 64, 1,
    "a further JOIN gets ERROR ROOM_LIMIT; the connection stays open"),
  MAX_QUEUED_REQUESTS("maxQueuedRequests", 64, 1,
    "requests a connection may have waiting while its JOINs of streams are answered (a connection's requests are answered in the order sent; never fewer than maxRoomsPerConnection, so a reconnect's rejoin always fits); a further one gets ERROR RATE_LIMITED, the connection stays open"),
  MAX_FRAME_BYTES("maxFrameBytes", 4_096, 64,
    "a client frame (or fragmented message) larger than this is refused with close 1009"),
  MAX_ITEMS_PER_PUSH("maxItemsPerPush", 1_000, 1,
    "the push is refused whole with 413 TOO_LARGE"),
  MAX_ITEM_BYTES("maxItemBytes", 16_384, 2,
    "the push is refused whole with 413 TOO_LARGE"),
  MAX_BODY_BYTES("maxBodyBytes", 1_048_576, 64,
    "the HTTP request is refused with 413 TOO_LARGE before it is parsed"),
  MAX_BATCH_ITEMS("maxBatchItems", 500, 1,
    "the room's batch is flushed before the tick ends: one PUSH frame never carries more items"),
  MAX_BATCH_BYTES("maxBatchBytes", 65_536, 256,
    "the room's batch is flushed before the tick ends: one PUSH frame never carries more item bytes"),
  MAX_PENDING_BYTES("maxPendingBytes", 64L * 1024 * 1024, 1_024,
    "the merger holds no more bytes of items between ticks, each item counted with 32 bytes more for what it costs the heap beside its bytes (a million one-byte items count 33 MB), and each batch a stream keeps for later (its turn not come yet, its head or epoch not known yet) with 1024 more for its entry and its stream's state; further pushes are refused whole with 503 QUEUE_FULL"),
  MAX_ROOM_ITEMS_PER_SECOND("maxRoomItemsPerSecond", 1_000, 0,
    "a room's low-priority items beyond this many a second (normal items count first), and beyond a shrinking share while the node's fan-out lags behind its tick, are sampled down evenly and counted (merger.itemsSampled); normal items are never sampled. 0: no budget, sampling only while the node lags"),
  DEMO_PUBLISH_PER_SECOND("demoPublishPerSecond", 5, 1,
    "further POST /demo/publish requests in that second get 429 RATE_LIMITED (node-wide; only when demoPublish is on)"),
  MAX_ROOMS("maxRooms", 100_000, 1,
    "a JOIN of a room this node has no member of yet, while it already has this many distinct rooms, gets ERROR RATE_LIMITED (the node's rooms come and go: the client asks again later, with backoff); the connection stays open (counted as roomLimitRefusals)"),
  // Abuse and rate limits (io.pushgate.security); README, "Why each default", says why each value.
  MAX_HANDSHAKES_PER_SECOND("maxHandshakesPerSecond", 10_000, 0,
    "0 is off. Over this many WebSocket handshakes per second on the node (bursts up to the same number), a handshake is refused with HTTP 429 before the upgrade (counted as security.refused.handshake_rate_node)"),
  MAX_HANDSHAKES_PER_SECOND_PER_IP("maxHandshakesPerSecondPerIp", 1_000, 0,
    "0 is off. Over this many WebSocket handshakes per second from one client IP address (IPv6: one /64; bursts up to the same number), its handshakes are refused with HTTP 429 before the upgrade (counted as security.refused.handshake_rate_ip)"),
  MAX_CONNECTIONS_PER_USER("maxConnectionsPerUser", 100, 0,
    "0 is off; only with connection tokens. A handshake whose token's `sub` already has this many open connections on this node is refused with HTTP 429 (counted as security.refused.connections_per_user)"),
  MAX_CONNECTIONS_PER_IP("maxConnectionsPerIp", 0, 0,
    "0 is off. A handshake from an address (IPv6: one /64) that already has this many open connections on this node is refused with HTTP 429 (counted as security.refused.connections_per_ip)"),
  MAX_TRACKED_IPS("maxTrackedIps", 100_000, 1,
    "the per-IP handshake buckets form an LRU map of this many addresses; the least recently seen address is forgotten (counted as security.ipsEvicted), which at worst gives it a full bucket again"),
  MAX_MESSAGES_PER_SECOND("maxMessagesPerSecond", 100, 0,
    "0 is off. Over this many frames per second from one connection (bursts up to the same number, plus maxRoomsPerConnection right after the handshake; pings and fragments count), a message gets ERROR RATE_LIMITED and is not processed (a ping gets no pong, and a message whose fragments it came between is read on); a connection refused more than this many times in a second (beyond a burst of as many) is closed with 1008 (counted as security.closed.message_rate)"),
  MAX_JOINS_PER_SECOND("maxJoinsPerSecond", 20, 0,
    "0 is off. Over this many JOINs per second from one connection (bursts up to the same number, plus maxRoomsPerConnection right after the handshake: the rejoin allowance; counted as each JOIN arrives, also one that waits behind JOINs of streams), a JOIN gets ERROR RATE_LIMITED; the connection stays open (counted as security.rateLimited.joins)"),
  MAX_FRAGMENTS_PER_MESSAGE("maxFragmentsPerMessage", 64, 1,
    "a client message sent in more fragments than this is refused with close 1009, like an oversized one"),
  MAX_HEADER_BYTES("maxHeaderBytes", 8_192, 1_024,
    "an HTTP request (either port, WebSocket handshakes included) whose headers are larger is answered with HTTP 431 and its connection closed"),
  MAX_REQUEST_LINE_BYTES("maxRequestLineBytes", 4_096, 256,
    "an HTTP request (either port) whose request line, including the `?token=` query, is longer is answered with HTTP 414 and its connection closed"),
  HANDSHAKE_TIMEOUT_MILLIS("handshakeTimeoutMillis", 10_000, 100,
    "a public-port connection that has not become a WebSocket this long after it connected is closed, whatever it is doing: slow or never-finished handshakes, unread responses, pipelined or trickled requests and idle keep-alive connections (counted as security.handshakeTimeouts)"),
  API_IDLE_TIMEOUT_MILLIS("apiIdleTimeoutMillis", 60_000, 1_000,
    "an API-port connection with no bytes in either direction for this long is closed"),
  API_REQUEST_TIMEOUT_MILLIS("apiRequestTimeoutMillis", 30_000, 100,
    "an API-port request whose head, body and answer are not complete this long after its first byte has its connection closed (counted as api.requestTimeouts); a connection that sends nothing is the idle timeout's"),
  MAX_ITEM_DEPTH("maxItemDepth", 32, 1,
    "a push whose body nests JSON arrays or objects deeper than this inside an item is refused with 400 BAD_REQUEST before it is built; at most 10000"),
  // Streams: history and recovery (io.pushgate.history).
  HISTORY_SIZE("historySize", 200, 0,
    "0 turns streams off. Items each stream keeps for recovery (the oldest is trimmed); a client that missed more rejoins with recovered: false, HISTORY_GONE"),
  HISTORY_STREAM_BYTES("historyStreamBytes", 1_048_576, 1_024,
    "item bytes each stream keeps for recovery at most, on the member that holds it and again on its backup (the oldest are trimmed first, as by historySize); a client that missed more rejoins with recovered: false, HISTORY_GONE"),
  HISTORY_MAX_STREAMS("historyMaxStreams", 5_000, 1,
    "streams whose history each member holds at most. Every 5 s each node drops, from both copies, the least recently appended to of the streams its member holds beyond this (in between it may hold more, by the streams made meanwhile; a standalone node drops the least recently appended to at once); a dropped stream is counted as history.streamsEvicted, logged, and starts a new epoch with its next push: its returning clients are told EPOCH_CHANGED"),
  HISTORY_MAX_BYTES("historyMaxBytes", 0, 0,
    "item bytes of the streams whose history each member holds, at most, each idempotency key remembered counting as 192 (about as many again in its backups of other members' streams); 0, the default, is an eighth of the JVM's maximum heap (at least historyStreamBytes), so the bound grows with the heap an operator gives the node. Past it the trim drops the least recently appended to streams, as at historyMaxStreams, with the same count, log and EPOCH_CHANGED; a stream with no append for historyTtlMillis counts as its newest item (its items are past their age, and the trim frees all but the newest while every data member can: README, Upgrading); a value set must be at least historyStreamBytes"),
  HISTORY_TTL_MILLIS("historyTtlMillis", 120_000, 1_000,
    "items older than this are trimmed from a stream's history; a client that was away longer rejoins with recovered: false, HISTORY_GONE"),
  MAX_RECOVERY_ITEMS("maxRecoveryItems", 200, 1,
    "a JOIN with since that missed more items than this (or more bytes than maxOutboundBytes lets its connection queue) rejoins with recovered: false, TOO_FAR, and reloads instead of replaying"),
  HISTORY_RING_BYTES("historyRingBytes", 64L * 1024 * 1024, 0,
    "item bytes the node keeps in memory for replays across all streams; past it the least recently active streams' rings are dropped (recovery then reads the cluster's history, counted as history.ringEvictions). Replays encoded for a position and kept for the next JOINs at it until the stream's next frame have a bound of the same size; past it a replay goes to its JOIN alone (history.replaysNotCached)"),
  MAX_HISTORY_READS("maxHistoryReads", 32, 1,
    "reads of items from the streams' history in flight at once on this node (gaps filled, replays the ring cannot serve, GET /rooms/{room}/history, a retried push's items sent again); more wait their turn, first come first served (counted as history.readsWaited), so what reads hold at once is at most this many times historyStreamBytes; a replay still waiting at its JOIN's deadline is not read, and the JOIN is answered RATE_LIMITED as for any read that did not answer in time"),
  HISTORY_HOLE_MILLIS("historyHoleMillis", 1_000, 10,
    "a gap in a stream's offsets that stays open this long (the node that took those items died before it broadcast them) is filled from the cluster's history (counted as history.holesFilled)"),
  HISTORY_IDLE_MILLIS("historyIdleMillis", 86_400_000, 1_000,
    "a stream with no append for this long is gone from the history: appends and reads treat it as absent, and its member's trim (every 5 s) removes it from owner and backup alike; its next push starts a new epoch, and its connected clients are told EPOCH_CHANGED. A day by default, so that a quiet stream keeps its numbering: a member's streams are bounded by historyMaxStreams and historyMaxBytes anyway, where the least recently appended to go first"),
  IDEMPOTENCY_WINDOW_MILLIS("idempotencyWindowMillis", 120_000, 0,
    "a push with the idempotencyKey of an earlier push to the same stream within this long is not appended again; its answer is the first push's"),
  MAX_IDEMPOTENCY_KEYS("maxIdempotencyKeys", 1_000, 0,
    "idempotency keys each stream remembers; past it the oldest is forgotten first (a retry of it would be appended again)"),
  MAX_OUTBOUND_BYTES("maxOutboundBytes", 1_048_576, 1_024,
    "a connection with more unsent bytes queued than this is closed with 4002 (counted as closed.slow_consumer)");

  private final String key;
  private final long defaultValue;
  private final long minimum;
  private final String atLimit;

  Limit(String key, long defaultValue, long minimum, String atLimit) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.minimum = minimum;
    this.atLimit = atLimit;
  }

  /** The key in conf/pushgate.json; the environment variable is {@link Settings#envName(String)} of it. */
  public String key() {
    return key;
  }

  public long defaultValue() {
    return defaultValue;
  }

  public long minimum() {
    return minimum;
  }

  /** What the node does when the limit is reached, as README states it. */
  public String atLimit() {
    return atLimit;
  }
}
