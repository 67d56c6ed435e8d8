package io.pushgate.config;

/**
 * Every bound the node enforces, with its configuration key, default and what happens when it is
 * reached. Code, tests and README all read from here so the three cannot drift apart.
 */
public enum Limit {
  MAX_CONNECTIONS("maxConnections", 19_000, 1,
    "new WebSocket handshakes are accepted and closed at once with 1013 (counted as refused.connection_limit)"),
  MAX_ROOMS_PER_CONNECTION("maxRoomsPerConnection", 64, 1,
    "a further JOIN gets ERROR ROOM_LIMIT; the connection stays open"),
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
    "the merger holds no more item bytes between ticks; further pushes are refused whole with 503 QUEUE_FULL"),
  DEMO_PUBLISH_PER_SECOND("demoPublishPerSecond", 5, 1,
    "further POST /demo/publish requests in that second get 429 RATE_LIMITED (node-wide; only when demoPublish is on)"),
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
