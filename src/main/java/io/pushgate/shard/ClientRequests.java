package io.pushgate.shard;

import io.pushgate.protocol.NotRecovered;
import io.pushgate.config.Limit;
import io.pushgate.protocol.ClientFrameDecoder;
import io.pushgate.protocol.ClientRequest;
import io.pushgate.protocol.DecodeResult;
import io.pushgate.protocol.ErrorCode;
import io.pushgate.protocol.MessageType;
import io.pushgate.protocol.Position;
import io.pushgate.protocol.ServerMessages;
import io.pushgate.protocol.CloseCode;
import io.pushgate.security.ClientSession;
import io.pushgate.security.ShardGuard;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import io.pushgate.protocol.EncodedFrame;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a client asks of its shard (PROTOCOL.md, "WebSocket messages"): one method per message type,
 * each answered with ACK when the request has an id, or with an ERROR that names its code.
 */
final class ClientRequests {

  private final ShardOptions options;
  private final ShardStats stats;
  private final Hub hub;
  private final ShardGuard guard;
  private final int shard;
  /** Hands a stream's JOIN to the merger, which answers with {@link #onStreamJoined}. */
  private final Consumer<StreamJoin> toMerger;
  /** The clock of maxJoinsPerSecond (System.nanoTime; a test steps its own). */
  java.util.function.LongSupplier clock = System::nanoTime;

  ClientRequests(ShardOptions options, ShardStats stats, Hub hub, ShardGuard guard, int shard, Consumer<StreamJoin> toMerger) {
    this.options = options;
    this.stats = stats;
    this.hub = hub;
    this.guard = guard;
    this.shard = shard;
    this.toMerger = toMerger;
  }

  void onText(Connection c, String text) {
    DecodeResult result = ClientFrameDecoder.decode(text);
    if (result instanceof DecodeResult.Fatal fatal) {
      c.close(fatal.code());
    } else if (result instanceof DecodeResult.Rejected rejected) {
      reject(c, rejected.code(), rejected.message(), rejected.id());
    } else if (result instanceof DecodeResult.Request request) {
      inOrder(c, request.request());
    }
  }

  /**
   * A connection's requests are answered in the order it sent them, though a JOIN of a stream is
   * answered by the merger: what comes while such JOINs are out waits behind them. JOINs of other
   * streams go out at once, so a reconnecting client's rejoins travel together.
   */
  private void inOrder(Connection c, ClientRequest r) {
    if (r.type() == MessageType.REFRESH || (r.type() == MessageType.PING && r.id() == null)) {
      // Not in line: the old token's deadline runs while it would wait (up to a JOIN's deadline), so
      // a REFRESH sent in time would come too late. A JOIN it overtakes meets the new grant when answered.
      // A PING without id is a heartbeat: its PONG answers nothing in order, and a client waiting for it
      // behind a slow JOIN (a node catching up after a failover) would take a live socket for dead.
      dispatch(c, r, true);
      return;
    }
    boolean nothingWaits = c.waiting == null || c.waiting.isEmpty();
    if (nothingWaits && (c.joining.isEmpty() || isNewStreamJoin(c, r))) {
      dispatch(c, r, inRate(c, r));
    } else if (c.waiting != null && c.waiting.size() >= options.maxQueuedRequests()) {
      reject(c, ErrorCode.RATE_LIMITED, "more than " + options.maxQueuedRequests() + " requests (" + Limit.MAX_QUEUED_REQUESTS.key()
        + ", at least " + Limit.MAX_ROOMS_PER_CONNECTION.key() + ") waiting for this connection's JOINs of streams to be answered", r.id());
    } else {
      if (c.waiting == null) {
        c.waiting = new ArrayDeque<>(4);
      }
      c.waiting.add(new Waiting(r, inRate(c, r)));
    }
  }

  /** A request waiting behind JOINs of streams; a JOIN's rate was met, or not, when it came. */
  record Waiting(ClientRequest request, boolean inRate) {
  }

  /** A JOIN takes its place in maxJoinsPerSecond as it arrives, not when its turn comes. */
  private boolean inRate(Connection c, ClientRequest r) {
    return r.type() != MessageType.JOIN || c.session.takeJoin(clock.getAsLong());
  }

  private boolean isNewStreamJoin(Connection c, ClientRequest r) {
    return r.type() == MessageType.JOIN && options.streams().allows(r.room()) && !c.joining.contains(r.room());
  }

  /** A stream's JOIN was answered: the requests behind it whose turn has come. */
  private void releaseWaiting(Connection c, String room) {
    if (c.joining.contains(room)) {
      c.joining.remove(room); // a set with members is the connection's own HashSet
    }
    while (c.waiting != null && !c.waiting.isEmpty() && !c.isClosing()
      && (c.joining.isEmpty() || isNewStreamJoin(c, c.waiting.peek().request()))) {
      Waiting w = c.waiting.poll();
      dispatch(c, w.request(), w.inRate());
    }
  }

  private void dispatch(Connection c, ClientRequest r, boolean inRate) {
    switch (r.type()) {
      case PING -> onPing(c, r);
      case JOIN -> onJoin(c, r, inRate);
      case LEAVE -> onLeave(c, r);
      case REFRESH -> onRefresh(c, r);
      default -> reject(c, ErrorCode.UNKNOWN_TYPE, "unknown type " + r.type(), r.id());
    }
  }

  /** The message-rate limit refused a message; its id, when it can be read, comes back with the ERROR. */
  void onRateLimited(Connection c, String text) {
    reject(c, ErrorCode.RATE_LIMITED, c.session.limitedMessage(), text == null ? null : idOf(text));
  }

  private void onPing(Connection c, ClientRequest r) {
    c.send(ServerMessages.PONG);
    ack(c, r);
  }

  private void onJoin(Connection c, ClientRequest r, boolean inRate) {
    ClientSession.Refusal refusal = c.session.checkJoin(r.room(), inRate);
    if (refusal != null) {
      reject(c, refusal.code(), refusal.message(), r.id());
      return;
    }
    if (atRoomLimit(c, r.room(), r.id())) {
      return;
    }
    boolean stream = options.streams().allows(r.room());
    Position here = r.since() == null && stream ? hub.rooms.position(r.room()) : null;
    if (here != null || (stream && r.since() == null && r.id() == null && c.rooms.contains(r.room()))) {
      // This shard knows where the stream stands for its members (the last frame it was handed): the
      // position is the same the merger would give, without the round trip, and so is the next frame.
      // A reconnect storm's JOINs stay in the shards. (A go-push JOIN asks for no position: none is sent.)
      if (enter(c, r.room(), r.id())) {
        if (here != null) {
          stats.streamJoinsHere.inc(); // not a member's repeat go-push JOIN, which no position answers
        }
        watch(c, r.room(), r.online());
        if (r.id() != null) {
          c.send(ServerMessages.ack(r.id(), new JsonObject().put("room", r.room()).put("offset", here.offset()).put("epoch", here.epoch())));
        }
      }
      return;
    }
    if (stream) {
      // The merger alone knows what this shard has been handed of the stream: it answers, in order. A
      // go-push JOIN (neither since nor id) goes too, though it gets no ACK: a stream the merger has no
      // state for would otherwise start at whichever batch came first, and drop an earlier one that
      // another node's broadcast brings a moment later.
      long now = System.nanoTime();
      if (!(c.joining instanceof HashSet)) {
        c.joining = new HashSet<>(4); // most connections never join a stream twice at once: none until then
      }
      c.joining.add(r.room());
      if (r.since() != null && hub.rooms.leaveKeeping(r.room(), c)) {
        // A member asking for the items after O: it may have joined after O, so what it got live does
        // not cover them. Out of the room until the answer, it gets O+1 ... P as the replay and the
        // live frames after P, exactly as a connection that was never in (PROTOCOL.md, JOIN with since).
        stats.rejoinsSince.inc();
      }
      toMerger.accept(new StreamJoin(shard, c, r.room(), r.since(), r.id(), r.online(), now, now + options.streamJoinTimeoutNanos()));
      return;
    }
    if (!enter(c, r.room(), r.id())) {
      return;
    }
    if (r.since() != null) {
      stats.noHistory.inc();
      // PROTOCOL.md answers every JOIN with since with a position: a room without history has none
      // beyond the one of a stream with no items, offset 0 in epoch "0" (README, Streams).
      c.send(ServerMessages.ack(r.id(), new JsonObject().put("room", r.room()).put("recovered", false).put("reason", NotRecovered.NO_HISTORY.name())
        .put("offset", Position.NONE.offset()).put("epoch", Position.NONE.epoch())));
    } else {
      ack(c, r);
    }
    watch(c, r.room(), r.online());
  }

  /**
   * The merger's answer to a stream's JOIN: the ACK, then the items the client missed, then (as
   * a member from now on) every live frame after them.
   */
  void onStreamJoined(ShardCommand.StreamJoined joined) {
    StreamJoin j = joined.join();
    Connection c = (Connection) j.connection();
    boolean wasMember = c.rooms.contains(j.room());
    try {
      if (!wasMember && !c.isClosing() && !c.session.grant().rooms().allows(j.room())) {
        // A REFRESH answered while this JOIN waited took the room away.
        reject(c, ErrorCode.FORBIDDEN, "the token does not allow this room", j.id());
        return;
      }
      if (joined.retryLater() != null) {
        if (c.isClosing()) {
          return;
        }
        if (j.id() == null && j.since() == null) {
          // go-push's JOIN asked for no position and never retries: a member all the same, from the
          // next frame, as before the merger answered such JOINs (its first items' order aside).
          if (enter(c, j.room(), null)) {
            watch(c, j.room(), j.online());
          }
          return;
        }
        reject(c, ErrorCode.RATE_LIMITED, joined.retryLater(), j.id());
        return;
      }
      if (c.isClosing() || (!wasMember && !enter(c, j.room(), j.id()))) {
        return;
      }
      watch(c, j.room(), j.online());
      if (joined.ack() != null && joined.ack().getLong("offset") != null) {
        hub.rooms.handed(j.room(), new Position(joined.ack().getLong("offset"), joined.ack().getString("epoch")));
      }
      List<EncodedFrame> replay = wasMember ? List.of() : joined.replay();
      if (joined.ack() != null) {
        String ack = ServerMessages.ack(j.id(), joined.ack());
        if (!replay.isEmpty() && EncodedFrame.wireLength(replay) + ack.length() > c.canQueue()) {
          // More than the connection may queue (maxOutboundBytes): written, it would be cut as a slow
          // consumer (4002) and rejoin to the same replay. It is told TOO_FAR instead and goes on live.
          stats.replaysTooLarge.inc();
          replay = List.of();
          ack = ServerMessages.ack(j.id(), joined.ack().copy().put("recovered", false).put("reason", NotRecovered.TOO_FAR.name()));
        }
        c.send(ack);
      }
      if (!replay.isEmpty()) {
        for (EncodedFrame frame : replay) {
          if (!c.queue(frame)) {
            c.writeQueued();
            c.slowConsumer();
            return;
          }
        }
        if (!c.writeQueued()) {
          c.slowConsumer();
          return;
        }
      }
    } finally {
      joined.replay().forEach(EncodedFrame::release);
      hub.rooms.unkeep(j.room(), c); // after enter: the place is the membership's again
      releaseWaiting(c, j.room());
    }
  }

  /**
   * The rooms a connection is in, those it left to rejoin with since (it keeps their places until
   * answered), and the streams whose JOIN the merger has not answered yet, each once and {@code room}
   * not at all: another JOIN must not take a rejoin's place, and JOINs of streams, which go out
   * together, meet maxRoomsPerConnection when they are asked, not after each one's round trip.
   */
  private static int roomsHeld(Connection c, String room) {
    int held = c.rooms.size();
    if (c.keptRooms != null) {
      held += c.keptRooms.size() - (c.keptRooms.contains(room) ? 1 : 0);
    }
    for (String j : c.joining) {
      if (!j.equals(room) && !c.rooms.contains(j) && (c.keptRooms == null || !c.keptRooms.contains(j))) {
        held++;
      }
    }
    return held;
  }

  /** True, with the ERROR sent, when joining {@code room} would pass maxRoomsPerConnection. */
  private boolean atRoomLimit(Connection c, String room, Long id) {
    if (c.rooms.contains(room) || roomsHeld(c, room) < options.maxRoomsPerConnection()) {
      return false;
    }
    reject(c, ErrorCode.ROOM_LIMIT, "already in " + options.maxRoomsPerConnection() + " rooms (" + Limit.MAX_ROOMS_PER_CONNECTION.key() + ")", id);
    return true;
  }

  /** Makes the connection a member: false, with the ERROR sent, when the node is at maxRooms. */
  private boolean enter(Connection c, String room, Long id) {
    if (atRoomLimit(c, room, id)) {
      return false;
    }
    RoomIndex.Joined joined = hub.rooms.join(room, c);
    if (joined == RoomIndex.Joined.NODE_FULL) {
      stats.roomLimitRefusals.inc();
      // Not ROOM_LIMIT, which is final for the request: the node's rooms come and go, and a client
      // rejoining after a reconnect that lands on a full node must not lose the room for good.
      reject(c, ErrorCode.RATE_LIMITED, "this node already has " + Limit.MAX_ROOMS.key() + "=" + options.maxRooms()
        + " rooms with members: try again later", id);
      return false;
    }
    if (joined == RoomIndex.Joined.NEW_MEMBER) {
      stats.joins.inc();
    }
    return true;
  }

  /** Its first ONLINE comes with the next interval's counts ({@link Hub#online}), not with the JOIN; so after every JOIN with online. */
  private void watch(Connection c, String room, boolean online) {
    if (online) {
      hub.rooms.watch(room, c);
    }
  }

  private void onLeave(Connection c, ClientRequest r) {
    if (hub.rooms.leave(r.room(), c)) {
      stats.leaves.inc();
    }
    ack(c, r);
  }

  /**
   * A new token without reconnecting: the connection's deadline becomes the new {@code exp}, and
   * rooms the new {@code rooms} claim no longer allows are left and listed in the ACK. A refused
   * token changes nothing: the connection keeps its old one and closes at its old deadline.
   */
  private void onRefresh(Connection c, ClientRequest r) {
    guard.refresh(c.session, r.token(), () -> c.close(CloseCode.POLICY_VIOLATION)).onComplete(ar -> {
      if (c.isClosing()) {
        return;
      }
      if (ar.failed()) {
        reject(c, ar.cause() instanceof ShardGuard.RefreshLimited ? ErrorCode.RATE_LIMITED : ErrorCode.FORBIDDEN, ar.cause().getMessage(), r.id());
        return;
      }
      JsonArray left = new JsonArray();
      for (String room : new ArrayList<>(c.rooms)) {
        if (!ar.result().rooms().allows(room) && hub.rooms.leave(room, c)) {
          stats.leaves.inc();
          left.add(room);
        }
      }
      if (r.id() != null) {
        c.send(ServerMessages.ack(r.id(), new JsonObject().put("left", left))); // without an id, success is silent
      }
    });
  }

  private void ack(Connection c, ClientRequest r) {
    if (r.id() != null) {
      c.send(ServerMessages.ack(r.id()));
    }
  }

  private void reject(Connection c, ErrorCode code, String message, Long id) {
    stats.errors.get(code).inc();
    c.send(ServerMessages.error(code, message, id));
  }

  private static Long idOf(String text) {
    DecodeResult result = ClientFrameDecoder.decode(text);
    return result instanceof DecodeResult.Request r ? r.request().id()
      : result instanceof DecodeResult.Rejected r ? r.id() : null;
  }
}
