package io.pushgate.security;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One address or one user cannot take every connection slot of a node. */
class ConnectionCapsTest {

  private static JsonObject refused(TestNode node) {
    return node.stats().getJsonObject("security").getJsonObject("refused");
  }

  @Test
  void aFloodFromOneAddressIsCappedWhileItsNeighbourConnects() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxConnectionsPerIp", 3))) {
      List<RawClient> flood = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          RawClient c = RawClient.connect("127.0.0.2", node.publicPort());
          flood.add(c);
          assertEquals(101, c.handshake(), "connection " + (i + 1) + " of 127.0.0.2");
        }
        try (RawClient fourth = RawClient.connect("127.0.0.2", node.publicPort())) {
          assertEquals(429, fourth.handshake(), "the fourth from 127.0.0.2");
        }
        try (RawClient neighbour = RawClient.connect("127.0.0.3", node.publicPort())) {
          assertEquals(101, neighbour.handshake(), "127.0.0.3 is another address");
        }
        assertEquals(1, refused(node).getLong("connections_per_ip"));
        flood.remove(0).close();
        Eventually.await("the closed connection's slot is free again", () -> node.stats().getInteger("connections") == 2);
        try (RawClient again = RawClient.connect("127.0.0.2", node.publicPort())) {
          assertEquals(101, again.handshake(), "127.0.0.2 under its cap again");
        }
      } finally {
        flood.forEach(RawClient::close);
      }
    }
  }

  @Test
  void oneUserIsCappedByTheTokensSubAndOtherUsersAreNot() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("maxConnectionsPerUser", 2))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      URI alice = URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect?token=" + tokens.valid("alice", 60, new JsonObject()));
      URI bob = URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect?token=" + tokens.valid("bob", 60, new JsonObject()));
      TestClient first = TestClient.connect(alice, Map.of(), false);
      try (TestClient second = TestClient.connect(alice, Map.of(), false)) {
        assertEquals(429, TestClient.handshakeStatus(alice, Map.of()), "alice's third tab");
        assertEquals(101, TestClient.handshakeStatus(bob, Map.of()), "bob is another user");
        assertEquals(1, refused(node).getLong("connections_per_user"));
        first.close();
        Eventually.await("alice's first connection closed", () -> node.stats().getInteger("connections") == 1);
        assertEquals(101, TestClient.handshakeStatus(alice, Map.of()), "alice under her cap again");
      }
    }
  }

  @Test
  void anIpv6AddressCountsAsItsSlash64() {
    assertEquals("2001:db8:1:2::/64", ClientAddress.group("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
    assertEquals("2001:db8:1:2::/64", ClientAddress.group("2001:0db8:0001:0002:0:0:0:1"));
    assertEquals("192.0.2.7", ClientAddress.group("::ffff:192.0.2.7"));
    assertEquals("192.0.2.7", ClientAddress.group("192.0.2.7"));
  }
}
