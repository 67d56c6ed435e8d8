package io.pushgate.shard;

import io.pushgate.protocol.NotRecovered;
import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Stats;
import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.ErrorCode;

import java.util.Locale;
import java.util.Map;

/**
 * A shard's counters, each declared once with its /stats path and its meter (tagged with the shard).
 * Only the shard's event loop writes them.
 */
final class ShardStats {

  /** Why a handshake was refused by the shard itself (the security refusals are counted by io.pushgate.security). */
  enum Refusal { CONNECTION_LIMIT, DRAINING }

  final Stats stats;
  final Counter accepted;
  final Counter joins;
  final Counter leaves;
  final Counter framesWritten;
  final Counter framesWrittenDirect;
  final Counter bytesWritten;
  final Counter clientCloses;
  final Counter roomLimitRefusals;
  final Counter pingsSent;
  final Counter noHistory;
  final Counter streamJoinsHere;
  final Counter rejoinsSince;
  final Counter replaysTooLarge;
  final Map<CloseCode, Counter> serverCloses;
  final Map<Refusal, Counter> refused;
  final Map<ErrorCode, Counter> errors;
  final FanoutLag fanout;

  ShardStats(int shard, long tickMillis) {
    this(Stats.of(Tags.of("shard", String.valueOf(shard)), shard), tickMillis);
  }

  ShardStats(Stats stats, long tickMillis) {
    this.stats = stats;
    accepted = stats.counter("connectionsAccepted", "pushgate_connections_accepted", "WebSocket connections accepted");
    joins = stats.counter("joins", "pushgate_joins", "room joins");
    leaves = stats.counter("leaves", "pushgate_leaves", "room leaves (explicit)");
    framesWritten = stats.counter("framesWritten", "pushgate_frames_written", "WebSocket frames written to clients (PUSH and ONLINE)");
    framesWrittenDirect = stats.counter("framesWrittenDirect", "pushgate_frames_written_direct",
      "of framesWritten, those the socket took whole at once, written beside Netty's pipeline (the rest were queued in Netty)");
    bytesWritten = stats.counter("bytesWritten", "pushgate_bytes_written", "payload bytes written to clients");
    roomLimitRefusals = stats.counter("roomLimitRefusals", "pushgate_room_limit_refusals", "JOINs refused because the node held maxRooms distinct rooms");
    // Its own meter: the merger's pushgate_stream_joins carries no shard tag, and one name takes one set of tags.
    noHistory = stats.counter("history.joins." + NotRecovered.NO_HISTORY.name(), "pushgate_joins_no_history",
      "JOINs with since of rooms that are not streams (answered recovered: false, NO_HISTORY)");
    streamJoinsHere = stats.counter("history.joins.answeredByShard", "pushgate_stream_joins_by_shard",
      "JOINs of streams without since that their shard answered from the last frame it was handed, without asking the merger");
    rejoinsSince = stats.counter("history.joins.memberSince", "pushgate_stream_joins_member_since",
      "JOINs with since from a connection already in the room: it leaves the room until the merger answers, then gets the replay as any rejoin");
    replaysTooLarge = stats.counter("history.joins.replayTooLarge", "pushgate_stream_replays_too_large",
      "JOINs with since the merger found recoverable whose replay was more than the connection may queue (maxOutboundBytes): answered recovered: false, TOO_FAR");
    pingsSent = stats.counter("pingsSent", "pushgate_pings_sent", "WebSocket pings sent to connections silent for a third of the heartbeat timeout");
    clientCloses = stats.counter("closed.by_client", "pushgate_closes", "connections closed", Tags.of("code", "client", "reason", "by_client"));
    serverCloses = stats.counters(CloseCode.class, c -> "closed." + c.statName(), "pushgate_closes", "connections closed",
      c -> Tags.of("code", String.valueOf(c.code()), "reason", c.statName()));
    refused = stats.counters(Refusal.class, r -> "refused." + r.name().toLowerCase(Locale.ROOT), "pushgate_handshakes_refused",
      "WebSocket handshakes refused", r -> Tags.of("reason", r.name().toLowerCase(Locale.ROOT)));
    errors = stats.counters(ErrorCode.class, e -> "errors." + e.name(), "pushgate_client_errors", "ERROR messages sent to clients",
      e -> Tags.of("code", e.name()));
    fanout = new FanoutLag(stats, tickMillis);
  }
}
