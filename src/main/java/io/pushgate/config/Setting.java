package io.pushgate.config;

/**
 * The node's settings that are not limits: where it listens and how it paces itself.
 * Like {@link Limit}, each carries its key, default, accepted range and README text.
 */
public enum Setting {
  PUBLIC_HOST("publicHost", "0.0.0.0", "interface of the public port (WebSocket /connect, /health, /ready, the browser client and demo page)"),
  PUBLIC_PORT("publicPort", 7777, 0, 65_535, "public port; 0 picks a free port (tests)"),
  API_HOST("apiHost", "127.0.0.1",
    "interface of the API port (push API, /stats, /metrics). Loopback by default; on any other interface the node refuses to start without `apiKeys`, unless `apiInsecure` is true"),
  API_INSECURE("apiInsecure", false,
    "let the API port listen on a non-loopback `apiHost` without `apiKeys` (anyone who reaches it can push to every client and read /stats); logged as a warning at start. Only for a network where nothing else can reach the port"),
  API_PORT("apiPort", 7799, 0, 65_535, "API port (push API, /stats); 0 picks a free port (tests)"),
  SHARDS("shards", 0, 0, 1_024,
    "connection shard verticles, one per event loop, each accepting on listening sockets of its own on the public port (`listenSockets`); 0 means 2 x CPU cores. The node runs one event loop more, for the push API and the merger. `-instances N` on the command line sets it too. One per core answers pushes faster under fan-out (p99 10–14 ms against 16–17 on 2 CPUs) and kept up with the danmaku load more often, but lags more under overload (normal p99 650–710 ms against 454) and takes a reconnect storm of 19,000 somewhat longer (median 3.3 s against 2.9): BENCHMARKS.md, section 6"),
  LISTEN_SOCKETS("listenSockets", 0, 0, 1_024,
    "listening sockets on the public port, each with an accept queue of its own (SO_REUSEPORT: Linux with the epoll transport; elsewhere the shards share one). A reconnect storm queues up to listenSockets x min(acceptBacklog, net.core.somaxconn) connections before the kernel drops SYNs, and the node warns at start when that is fewer than `maxConnections`. 0 means enough sockets for their queues to hold `maxConnections` at the somaxconn the node reads at start, at least 2 and at most 8 x CPU cores: 5 for 19,000 at 4096 (the kernel's default since Linux 5.4; 128 before, where 8 x cores fall short and the node warns) on 2 CPUs. Every shard gets the same number, at least one: listenSockets / shards, rounded up (2 each for 4 shards, 8 in all)"),
  TICK_MILLIS("tickMillis", 100, 1, 60_000,
    "how often each room's pending items are merged, encoded once and written as one PUSH frame"),
  HEARTBEAT_TIMEOUT_MILLIS("heartbeatTimeoutMillis", 60_000, 100, 3_600_000,
    "a connection that sends no frame for this long is closed with 4001"),
  ONLINE_INTERVAL_MILLIS("onlineIntervalMillis", 1_000, 100, 60_000,
    "how often nodes share their per-room connection counts and ONLINE messages go out (after each JOIN with online its first, also for a connection that watched the room already, else only when a count changed)"),
  DEMO_PUBLISH("demoPublish", false,
    "serve POST /demo/publish on the public port, so the demo page can send comments; never enable it on a public deployment without auth"),
  // Security: each is empty by default, which leaves its feature off (see README, Security).
  JWT_HS256_SECRET("jwtHs256Secret", "",
    "HS256 secret (at least 32 bytes) for connection tokens: the key is this text's UTF-8 bytes as written, never decoded; set it or jwtRs256PublicKey and every `GET /connect` needs `?token=JWT`"),
  JWT_RS256_PUBLIC_KEY("jwtRs256PublicKey", "",
    "RS256 public key for connection tokens: the PEM text (`-----BEGIN PUBLIC KEY-----...`) or the path of a PEM file"),
  JWT_AUDIENCE("jwtAudience", "",
    "when set, a connection token must carry this value in its `aud` claim (a string or an array holding it); tokens for other services signed with the same key are refused"),
  JWT_ISSUER("jwtIssuer", "",
    "when set, a connection token's `iss` claim must equal it"),
  JWT_LEEWAY_SECONDS("jwtLeewaySeconds", 5, 0, 300,
    "clock skew allowed between the token issuer and this node when checking a token's `exp`, `nbf` and `iat` at the handshake"),
  ALLOWED_ORIGINS("allowedOrigins", "",
    "comma-separated origins (`https://app.example.com`) whose browser handshakes are accepted; another `Origin` gets HTTP 403. Empty: any origin"),
  API_KEYS("apiKeys", "",
    "comma-separated API keys (each at least 16 characters); when set, every request on the API port needs `Authorization: Bearer KEY` with one of them. Several keys allow rotation"),
  EVENT_BUS_TLS_KEY_STORE("eventBusTlsKeyStore", "",
    "with -cluster: PKCS12 key store (path) of this node's key and certificate; set, the event bus between nodes runs TLS with client certificates required"),
  EVENT_BUS_TLS_KEY_STORE_PASSWORD("eventBusTlsKeyStorePassword", "",
    "password of eventBusTlsKeyStore"),
  EVENT_BUS_TLS_TRUST_STORE("eventBusTlsTrustStore", "",
    "PKCS12 store of the certificates a peer must present on the event bus; empty: the key store itself (one shared cluster certificate)"),
  EVENT_BUS_TLS_TRUST_STORE_PASSWORD("eventBusTlsTrustStorePassword", "",
    "password of eventBusTlsTrustStore; empty: eventBusTlsKeyStorePassword"),
  MIN_CLUSTER_MEMBERS("minClusterMembers", 1, 1, 1_000,
    "with -cluster: a node that sees fewer pushgate nodes in its cluster than this (itself included; JVMs that join only to push do not count) is not ready (GET /ready answers 503), so a node cut off from its peers (split brain) or started alone stops getting new clients; 1 turns the check off"),
  LONELY_READY_AFTER_MILLIS("lonelyReadyAfterMillis", 60_000, 0, 3_600_000,
    "a node below minClusterMembers becomes ready anyway once it has been so for this long, so that the first node of a new cluster, or the last one standing, still serves"),
  HISTORY_ROOMS("historyRooms", "*",
    "which rooms are streams, with history and recovery: comma-separated room names, a trailing `*` matching a prefix, as in a token's `rooms` claim; `*` is every room. `historySize` 0 turns streams off"),
  CLOSE_TIMEOUT_MILLIS("closeTimeoutMillis", 5_000, 100, 600_000,
    "after the server sends a close frame (1001 on SIGTERM, 4002, 4001, ...), or echoes the close of a client, how long the client has to answer or read it before its socket is cut; nothing is written after a close frame"),
  DRAIN_SPREAD_MILLIS("drainSpreadMillis", 10_000, 0, 600_000,
    "on SIGTERM the node closes its clients with 1001 spread over this window, so they do not all reconnect elsewhere in the same second (sooner when drainMinClosesPerSecond gets through them first; at most half of shutdownTimeoutMillis); 0 closes all at once"),
  DRAIN_MIN_CLOSES_PER_SECOND("drainMinClosesPerSecond", 1_000, 1, 10_000_000,
    "the drain closes at least this many clients a second, so a node with few clients stops in well under drainSpreadMillis"),
  SHUTDOWN_TIMEOUT_MILLIS("shutdownTimeoutMillis", 30_000, 1_000, 3_600_000,
    "from SIGTERM, the whole shutdown (spread 1001s, last flush, leaving the cluster) ends within this; a stage still running at the deadline is logged and the process exits. Keep it below the orchestrator's grace period (Kubernetes: terminationGracePeriodSeconds minus the preStop sleep)"),
  TRUSTED_PROXIES("trustedProxies", "",
    "comma-separated addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`) of reverse proxies on the public port; from them, and only from them, the client address for per-IP limits is taken from `X-Forwarded-For` (the rightmost address that is not itself a trusted proxy). Empty: the TCP peer always");

  private final String key;
  private final Object defaultValue;
  private final long minimum;
  private final long maximum;
  private final String description;

  Setting(String key, String defaultValue, String description) {
    this(key, (Object) defaultValue, 0, 0, description);
  }

  Setting(String key, boolean defaultValue, String description) {
    this(key, (Object) defaultValue, 0, 0, description);
  }

  Setting(String key, long defaultValue, long minimum, long maximum, String description) {
    this(key, (Object) defaultValue, minimum, maximum, description);
  }

  private Setting(String key, Object defaultValue, long minimum, long maximum, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.minimum = minimum;
    this.maximum = maximum;
    this.description = description;
  }

  public String key() {
    return key;
  }

  public Object defaultValue() {
    return defaultValue;
  }

  public boolean isNumber() {
    return defaultValue instanceof Long;
  }

  public boolean isBoolean() {
    return defaultValue instanceof Boolean;
  }

  public long minimum() {
    return minimum;
  }

  public long maximum() {
    return maximum;
  }

  public String description() {
    return description;
  }

  /** A text setting whose empty default means "off": empty is a valid value for it. */
  public boolean isOptional() {
    return "".equals(defaultValue);
  }

  /**
   * A setting whose value turns a check on (connection tokens, API keys): left empty, the check is off.
   * Given empty through its environment variable (a Kubernetes Secret whose key exists but holds
   * nothing), it is a mistake, not a wish to turn the check off, and the node refuses to start.
   */
  public boolean turnsCheckOn() {
    return this == JWT_HS256_SECRET || this == JWT_RS256_PUBLIC_KEY || this == API_KEYS;
  }

  /** Secrets never appear in {@link PushgateConfig#toString()} (and so never in a log line). */
  public boolean isSecret() {
    return this == JWT_HS256_SECRET || this == API_KEYS || this == EVENT_BUS_TLS_KEY_STORE_PASSWORD
      || this == EVENT_BUS_TLS_TRUST_STORE_PASSWORD;
  }

  /** {@code maxFrameBytes} is overridden by {@code PUSHGATE_MAX_FRAME_BYTES}. */
  public static String envName(String key) {
    StringBuilder name = new StringBuilder("PUSHGATE_");
    for (char c : key.toCharArray()) {
      if (Character.isUpperCase(c)) {
        name.append('_');
      }
      name.append(Character.toUpperCase(c));
    }
    return name.toString();
  }
}
