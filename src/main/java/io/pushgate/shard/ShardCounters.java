package io.pushgate.shard;

import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.ErrorCode;
import io.vertx.core.json.JsonObject;

import java.util.EnumMap;
import java.util.Map;

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
  final Map<CloseCode, Long> serverCloses = new EnumMap<>(CloseCode.class);
  final Map<Refusal, Long> refused = new EnumMap<>(Refusal.class);
  final Map<ErrorCode, Long> errors = new EnumMap<>(ErrorCode.class);

  void closedByServer(CloseCode code) {
    serverCloses.merge(code, 1L, Long::sum);
  }

  void refused(Refusal why) {
    refused.merge(why, 1L, Long::sum);
  }

  void error(ErrorCode code) {
    errors.merge(code, 1L, Long::sum);
  }

  JsonObject toJson() {
    JsonObject closes = new JsonObject().put("by_client", clientCloses);
    for (CloseCode c : CloseCode.values()) {
      closes.put(c.statName(), serverCloses.getOrDefault(c, 0L));
    }
    JsonObject refusals = new JsonObject();
    for (Refusal r : Refusal.values()) {
      refusals.put(r.name().toLowerCase(), refused.getOrDefault(r, 0L));
    }
    JsonObject errorCounts = new JsonObject();
    for (ErrorCode e : ErrorCode.values()) {
      errorCounts.put(e.name(), errors.getOrDefault(e, 0L));
    }
    return new JsonObject()
      .put("accepted", accepted)
      .put("joins", joins)
      .put("leaves", leaves)
      .put("framesWritten", framesWritten)
      .put("bytesWritten", bytesWritten)
      .put("closed", closes)
      .put("refused", refusals)
      .put("errors", errorCounts);
  }
}
