package io.pushgate.shard;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pushgate.security.ClientSession;
import io.pushgate.security.Grant;
import io.pushgate.protocol.RoomPatterns;
import io.pushgate.testing.ClientMessages;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.pushgate.shard.ShardFixture.channel;
import static io.pushgate.shard.ShardFixture.nextJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each client request and its answer, through a real connection on an EmbeddedChannel. */
class ClientRequestsTest {

  private final ShardFixture shard = new ShardFixture(ShardFixture.options(4_096, 64, 2, 1_048_576), 3);

  {
    shard.handleRequests = true;
  }

  private static void send(Connection c, JsonObject message) {
    channel(c).writeInbound(new TextWebSocketFrame(message.encode()));
  }

  private static String errorCode(JsonObject reply) {
    assertEquals("ERROR", reply.getString("type"), reply.encode());
    return reply.getJsonObject("data").getString("code");
  }

  @Test
  void joinAndLeaveAreAckedAndChangeTheRoomIndex() {
    Connection c = shard.connect();
    send(c, ClientMessages.join("a", 1));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 1), nextJson(c));
    assertEquals(1, shard.hub.rooms.members("a", 0));
    send(c, ClientMessages.leave("a", 2L));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 2), nextJson(c));
    assertEquals(0, shard.hub.rooms.members("a", 0));
    assertEquals(1, shard.stats.joins.get());
    assertEquals(1, shard.stats.leaves.get());
  }

  @Test
  void aPingGetsPongAndItsAck() {
    Connection c = shard.connect();
    send(c, ClientMessages.ping(7));
    assertEquals("PONG", nextJson(c).getString("type"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 7), nextJson(c));
  }

  @Test
  void roomsPerConnectionAreRoomLimitAndRoomsPerNodeARefusalForNow() {
    Connection first = shard.connect();
    send(first, ClientMessages.join("a", 1));
    send(first, ClientMessages.join("b", 2));
    send(first, ClientMessages.join("c", 3));
    nextJson(first);
    nextJson(first);
    assertEquals("ROOM_LIMIT", errorCode(nextJson(first)), "two rooms per connection");
    Connection second = shard.connect();
    send(second, ClientMessages.join("c", 4));
    assertEquals("ACK", nextJson(second).getString("type"), "a third room on the node");
    send(second, ClientMessages.join("d", 5));
    assertEquals("RATE_LIMITED", errorCode(nextJson(second)), "a fourth room: the node holds maxRooms=3, for now");
    assertEquals(1, shard.stats.roomLimitRefusals.get());
  }

  @Test
  void aRoomTheTokenDoesNotAllowIsForbiddenAndAMalformedRequestKeepsItsId() {
    Grant onlyLobby = new Grant("u", Long.MAX_VALUE, RoomPatterns.fromClaim(new JsonArray().add("lobby")));
    Connection c = shard.connect(ClientSession.detached(onlyLobby, 0, 0, 0));
    send(c, ClientMessages.join("vip", 1));
    JsonObject forbidden = nextJson(c);
    assertEquals("FORBIDDEN", errorCode(forbidden));
    assertEquals(1L, forbidden.getLong("id"));
    send(c, new JsonObject().put("type", "JOIN").put("id", 2).put("data", new JsonObject().put("room", 5)));
    JsonObject bad = nextJson(c);
    assertEquals("BAD_REQUEST", errorCode(bad), "a room that is not a string: data of the wrong shape");
    assertEquals(2L, bad.getLong("id"));
    assertEquals(1, shard.stats.errors.get(io.pushgate.protocol.ErrorCode.FORBIDDEN).get());
    assertTrue(c.rooms.isEmpty());
  }

  /** A shard whose rooms are all streams: their JOINs go to the merger, which the test plays. */
  private final ShardFixture streams = new ShardFixture(ShardFixture.options(4_096, 64, 2, 1_048_576, RoomPatterns.ANY), 10);

  {
    streams.handleRequests = true;
  }

  private void answer(StreamJoin j, JsonObject ack) {
    streams.requests.onStreamJoined(new io.pushgate.shard.ShardCommand.StreamJoined(j, ack, java.util.List.of()));
  }

  /**
   * go-push's JOIN (no id, no since) whose stream the merger could not read in time: it never retries
   * (it ignores ERRORs), so it is a member all the same, and hears nothing.
   */
  @Test
  void aGoPushJoinTheMergerCouldNotAnswerInTimeIsAMemberAllTheSame() {
    Connection c = streams.connect();
    send(c, new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", "s")));
    StreamJoin j = streams.toMerger.get(0);
    streams.requests.onStreamJoined(new io.pushgate.shard.ShardCommand.StreamJoined(j, null, java.util.List.of(), "retry the JOIN"));
    assertEquals(1, streams.hub.rooms.members("s", 0));
    assertEquals(null, ShardFixture.written(c), "no ERROR: it had no id, and it is in the room");
  }

  /**
   * maxJoinsPerSecond counts JOINs as they come, not as their turn comes: JOINs of plain rooms sent
   * at the allowed pace behind a JOIN of a stream the merger takes a while to answer are all ACKed,
   * though they are answered together.
   */
  @Test
  void joinsWaitingBehindAStreamsJoinMeetTheRateAsTheyCameNotAsTheyAreAnswered() {
    ShardFixture mixed = new ShardFixture(ShardFixture.options(4_096, 64, 8, 1_048_576, RoomPatterns.fromList("stream")), 10);
    mixed.handleRequests = true;
    long[] now = {System.nanoTime()};
    mixed.requests.clock = () -> now[0];
    Connection c = mixed.connect(ClientSession.detached(Grant.OPEN, 0, 2, 0)); // 2 JOINs a second, bursts of 2
    send(c, ClientMessages.join("stream", 1)); // a token; to the merger
    send(c, ClientMessages.join("a", 2)); // the second token; waits behind the stream's JOIN
    now[0] += 600_000_000L;
    send(c, ClientMessages.join("b", 3)); // 1.2 tokens came back meanwhile
    now[0] += 600_000_000L;
    send(c, ClientMessages.join("c", 4)); // and 1.2 more
    assertEquals(null, ShardFixture.written(c), "all wait for the stream's answer");
    StreamJoin j = mixed.toMerger.get(0);
    mixed.requests.onStreamJoined(new io.pushgate.shard.ShardCommand.StreamJoined(j,
      new JsonObject().put("room", "stream").put("offset", 0).put("epoch", "0"), java.util.List.of()));
    for (long id = 1; id <= 4; id++) {
      JsonObject answer = nextJson(c);
      assertEquals("ACK", answer.getString("type"), "JOIN " + id + ": " + answer.encode());
      assertEquals(id, answer.getLong("id"));
    }
    assertEquals(java.util.Set.of("stream", "a", "b", "c"), c.rooms);
    send(c, ClientMessages.join("d", 5)); // now, with 0.4 of a token left: over the rate
    assertEquals("RATE_LIMITED", errorCode(nextJson(c)));
  }

  /**
   * A heartbeat PING (no id) is answered at once also while a JOIN of a stream waits for the merger;
   * a PING with an id keeps its place in line, its ACK after the JOIN's.
   */
  @Test
  void aHeartbeatPingIsNotHeldBehindAStreamsJoin() {
    Connection c = streams.connect();
    send(c, ClientMessages.join("s", 1));
    send(c, ClientMessages.ping(2));
    send(c, new JsonObject().put("type", "PING"));
    assertEquals("PONG", nextJson(c).getString("type"), "the heartbeat's PONG, at once");
    assertEquals(null, ShardFixture.written(c), "the PING with an id waits behind the JOIN");
    answer(streams.toMerger.get(0), new JsonObject().put("room", "s").put("offset", 0).put("epoch", "0"));
    assertEquals(1L, nextJson(c).getLong("id"), "the JOIN's ACK");
    assertEquals("PONG", nextJson(c).getString("type"));
    assertEquals(2L, nextJson(c).getLong("id"));
  }

  /** A member rejoining with since keeps its place among maxRoomsPerConnection (2 here) until answered. */
  @Test
  void aRejoinWithSinceKeepsItsPlaceAmongTheConnectionsRooms() {
    Connection c = streams.connect();
    JsonObject position = new JsonObject().put("offset", 0).put("epoch", "0");
    for (String room : java.util.List.of("a", "b")) {
      send(c, ClientMessages.join(room, 1));
      answer(streams.toMerger.get(streams.toMerger.size() - 1), position.copy().put("room", room));
      assertEquals("ACK", nextJson(c).getString("type"));
    }
    send(c, new JsonObject().put("type", "JOIN").put("id", 3).put("data", new JsonObject().put("room", "a").put("since", position)));
    StreamJoin rejoin = streams.toMerger.get(streams.toMerger.size() - 1);
    send(c, ClientMessages.join("c", 4));
    assertEquals("ROOM_LIMIT", errorCode(nextJson(c)), "a and b are both still the connection's");
    answer(rejoin, position.copy().put("room", "a").put("recovered", true));
    assertEquals(3L, nextJson(c).getLong("id"));
    assertEquals(java.util.Set.of("a", "b"), c.rooms);
  }
}
