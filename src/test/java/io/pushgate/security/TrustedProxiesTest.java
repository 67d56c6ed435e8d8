package io.pushgate.security;

import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * X-Forwarded-For names the client for the per-IP limits only when the TCP peer is a configured
 * proxy: honoured from 127.0.0.2 (the "proxy" here), ignored from 127.0.0.3, over real sockets.
 */
class TrustedProxiesTest {

  @Test
  void theRightmostAddressThatIsNoProxyIsTheClient() {
    TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8, 192.168.1.7, fd00::/8");
    assertEquals("203.0.113.9", proxies.client("10.1.2.3", List.of("203.0.113.9")));
    assertEquals("203.0.113.9", proxies.client("10.1.2.3", List.of("198.51.100.1, 203.0.113.9, 10.9.9.9")), "skips proxies, not past the client");
    assertEquals("203.0.113.9", proxies.client("192.168.1.7", List.of("198.51.100.1", "203.0.113.9")), "several headers are one list");
    assertEquals("2001:db8::1", proxies.client("fd12::5", List.of("2001:db8::1")));
    assertEquals("192.168.1.8", proxies.client("192.168.1.8", List.of("203.0.113.9")), "a peer outside the list: the header is ignored");
    assertEquals("10.1.2.3", proxies.client("10.1.2.3", List.of("not-an-address")), "a name is never resolved: the proxy is the client");
    assertEquals("10.1.2.3", proxies.client("10.1.2.3", List.of("10.2.2.2")), "only proxies: the peer");
    assertEquals("10.1.2.3", proxies.client("10.1.2.3", List.of()), "no header: the peer");
    assertEquals("10.1.2.3", TrustedProxies.NONE.client("10.1.2.3", List.of("203.0.113.9")), "none configured: the peer");
  }

  /** However many entries a client puts in front, the proxy's rightmost one is read. */
  @Test
  void manyEntriesInFrontDoNotHideTheClient() {
    TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8");
    String junk = String.join(",", java.util.Collections.nCopies(200, "198.51.100.1"));
    assertEquals("203.0.113.9", proxies.client("10.1.2.3", List.of(junk + ", 203.0.113.9")));
    assertEquals("203.0.113.9", proxies.client("10.1.2.3", List.of(junk, "203.0.113.9, 10.9.9.9")));
  }

  @Test
  void onlyLiteralAddressesAreRead() {
    assertNull(TrustedProxies.literal("cafe.be"), "hex letters and dots are a name, not an address");
    assertNull(TrustedProxies.literal("1.2.3.256"));
    assertNull(TrustedProxies.literal("[::1]:443"));
    assertNull(TrustedProxies.literal("fe80::1%eth0"));
    assertEquals(4, TrustedProxies.literal("::ffff:10.0.0.1").length, "an IPv4-mapped address is its IPv4 address");
    assertEquals(16, TrustedProxies.literal("2001:db8::1").length);
  }

  @Test
  void aBadEntryIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse("10.0.0.0/8,proxy.local"));
    assertTrue(e.getMessage().contains("'proxy.local'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse("10.0.0.0/33"));
    assertTrue(e.getMessage().contains("prefix length"), e.getMessage());
  }

  @Test
  void theHeaderCountsFromATrustedProxyAndNotFromAnyoneElse() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxConnectionsPerIp", 1).put("trustedProxies", "127.0.0.2"))) {
      List<RawClient> open = new ArrayList<>();
      try {
        assertEquals(101, handshake(open, node, "127.0.0.2", "203.0.113.7"), "a client behind the proxy");
        assertEquals(101, handshake(open, node, "127.0.0.2", "203.0.113.8"), "another client behind the same proxy");
        assertEquals(429, handshake(open, node, "127.0.0.2", "203.0.113.7"), "the first client again: over its cap of 1");
        assertEquals(101, handshake(open, node, "127.0.0.3", "203.0.113.9"), "not a proxy: counted as 127.0.0.3");
        assertEquals(429, handshake(open, node, "127.0.0.3", "203.0.113.10"), "its header is ignored: 127.0.0.3 is over its cap");
      } finally {
        open.forEach(RawClient::close);
      }
    }
  }

  private static int handshake(List<RawClient> open, TestNode node, String from, String forwardedFor) {
    RawClient c = RawClient.connect(from, node.publicPort());
    open.add(c);
    return c.handshake("/connect", "X-Forwarded-For: " + forwardedFor + "\r\n");
  }
}
