package io.pushgate.shard;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The server pings a silent connection; its pong is a heartbeat. A client that sends nothing of its
 * own (a background tab whose timers are throttled) stays; one that does not even answer pings goes.
 */
class HeartbeatTest {

  @Test
  void aClientThatOnlyAnswersPingsStaysPastTheHeartbeatTimeout() {
    try (TestNode node = TestNode.start(new JsonObject().put("heartbeatTimeoutMillis", 900));
         TestClient quiet = node.client().joinAcked("r", 1)) {
      // A ping goes out after 300 ms of silence and the JDK client answers it by itself. Eight pings
      // mean well over twice the 900 ms timeout without a frame the client chose to send.
      Eventually.await("eight server pings", () -> node.stats().getLong("pingsSent") >= 8, Duration.ofSeconds(20));
      assertFalse(quiet.isClosed(), "closed with " + (quiet.isClosed() ? quiet.awaitClose() : 0));
      assertEquals(0, node.stats().getJsonObject("closed").getLong("heartbeat_timeout"));
      quiet.send(ClientMessages.ping());
      assertEquals("PONG", quiet.next().getString("type"));
    }
  }

  @Test
  void aClientThatDoesNotAnswerPingsIsClosedWith4001() {
    try (TestNode node = TestNode.start(new JsonObject().put("heartbeatTimeoutMillis", 600));
         RawClient deaf = RawClient.connect(node.publicPort())) {
      assertEquals(101, deaf.handshake());
      RawClient.Frame first = deaf.readFrame();
      assertEquals(RawClient.OP_PING, first.opcode(), "the server's ping after 200 ms of silence");
      assertEquals(4001, deaf.awaitClose());
    }
  }
}
