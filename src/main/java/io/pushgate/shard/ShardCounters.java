package io.pushgate.shard;

import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.ErrorCode;
import io.vertx.core.json.JsonObject;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.Metrics;

/** A shard's counters since start; plain fields, because only the shard's event loop writes them. */
final class ShardCounters {

  /** Why a handshake was refused. */
  enum Refusal { CONNECTION_LIMIT, DRAINING }

  long accepted;
  long joins;
  long leaves;
  long framesWritten;
  long bytesWritten;
  long clientCloses;
  /** JOINs refused because the node held maxRooms distinct rooms. */
  long roomLimitRefusals;
  /** Indexed by ordinal: arrays, not maps, so a metrics scrape on another thread can read them safely. */
  final long[] serverCloses = new long[CloseCode.values().length];
  final long[] refused = new long[Refusal.values().length];
  final long[] errors = new long[ErrorCode.values().length];
  final FanoutLag fanout;

  ShardCounters(long tickMillis) {
    fanout = new FanoutLag(tickMillis);
  }

  void closedByServer(CloseCode code) {
    serverCloses[code.ordinal()]++;
  }

  void refused(Refusal why) {
    refused[why.ordinal()]++;
  }

  void error(ErrorCode code) {
    errors[code.ordinal()]++;
  }

  /** Exposes the counters as Prometheus meters tagged with the shard; read at scrape time. */
  void bind(MeterRegistry registry, int shard) {
    Tags tags = Tags.of("shard", String.valueOf(shard));
    fanout.bind(registry, tags);
    Metrics.counter(registry, "pushgate_connections_accepted", "WebSocket connections accepted", tags, this, c -> c.accepted);
    Metrics.counter(registry, "pushgate_joins", "room joins", tags, this, c -> c.joins);
    Metrics.counter(registry, "pushgate_leaves", "room leaves (explicit)", tags, this, c -> c.leaves);
    Metrics.counter(registry, "pushgate_frames_written", "WebSocket frames written to clients (PUSH and ONLINE)", tags, this, c -> c.framesWritten);
    Metrics.counter(registry, "pushgate_bytes_written", "payload bytes written to clients", tags, this, c -> c.bytesWritten);
    Metrics.counter(registry, "pushgate_closes", "connections closed", tags.and("code", "client", "reason", "by_client"), this, c -> c.clientCloses);
    Metrics.counter(registry, "pushgate_room_limit_refusals", "JOINs refused because the node held maxRooms distinct rooms", tags, this, c -> c.roomLimitRefusals);
    for (CloseCode code : CloseCode.values()) {
      Metrics.counter(registry, "pushgate_closes", "connections closed", tags.and("code", String.valueOf(code.code()), "reason", code.statName()),
        this, c -> c.serverCloses[code.ordinal()]);
    }
    for (Refusal why : Refusal.values()) {
      Metrics.counter(registry, "pushgate_handshakes_refused", "WebSocket handshakes refused", tags.and("reason", why.name().toLowerCase()),
        this, c -> c.refused[why.ordinal()]);
    }
    for (ErrorCode code : ErrorCode.values()) {
      Metrics.counter(registry, "pushgate_client_errors", "ERROR messages sent to clients", tags.and("code", code.name()),
        this, c -> c.errors[code.ordinal()]);
    }
  }

  JsonObject toJson() {
    JsonObject closes = new JsonObject().put("by_client", clientCloses);
    for (CloseCode c : CloseCode.values()) {
      closes.put(c.statName(), serverCloses[c.ordinal()]);
    }
    JsonObject refusals = new JsonObject();
    for (Refusal r : Refusal.values()) {
      refusals.put(r.name().toLowerCase(), refused[r.ordinal()]);
    }
    JsonObject errorCounts = new JsonObject();
    for (ErrorCode e : ErrorCode.values()) {
      errorCounts.put(e.name(), errors[e.ordinal()]);
    }
    return new JsonObject()
      .put("accepted", accepted)
      .put("joins", joins)
      .put("leaves", leaves)
      .put("framesWritten", framesWritten)
      .put("bytesWritten", bytesWritten)
      .put("roomLimitRefusals", roomLimitRefusals)
      .put("closed", closes)
      .put("refused", refusals)
      .put("errors", errorCounts)
      .put("fanout", fanout.toJson());
  }
}
