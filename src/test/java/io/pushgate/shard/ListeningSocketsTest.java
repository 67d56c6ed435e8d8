package io.pushgate.shard;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.pushgate.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every shard accepts on the public port through a listening socket of its own, so that a
 * reconnect storm is spread over several accept queues; and the node reports the SYNs the kernel
 * dropped at a full queue.
 */
class ListeningSocketsTest {

  /** Listening TCP sockets on {@code port}, from the kernel's own tables (IPv4 and IPv6). */
  static long listeningSockets(int port) throws IOException {
    String hexPort = ":" + String.format(Locale.ROOT, "%04X", port);
    long count = 0;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path path = Path.of(table);
      if (!Files.exists(path)) {
        continue;
      }
      for (String line : Files.readAllLines(path)) {
        String[] f = line.trim().split("\\s+");
        // sl local_address rem_address st ...; st 0A is LISTEN
        if (f.length > 3 && f[1].endsWith(hexPort) && "0A".equals(f[3])) {
          count++;
        }
      }
    }
    return count;
  }

  @Test
  void eachShardListensOnThePortAndConnectionsLandOnSeveralShards() throws IOException {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 3).put("listenSockets", 3))) {
      assertEquals(3, listeningSockets(node.publicPort()), "one listening socket per shard on " + node.publicPort());
      // The kernel picks a socket by a hash of each connection's addresses and ports: 48
      // connections all on one of three sockets would be a chance of 3^-47.
      assertTrue(shardsTaking(node, 48) >= 2, "connections spread over the shards' sockets: " + node.stats().getJsonArray("shards"));
    }
  }

  /**
   * Fewer shards than accept queues: two shards, four listening sockets, two each; connections that
   * land on any of them are taken by both shards.
   */
  @Test
  void aShardCanAcceptOnSeveralSocketsOfItsOwn() throws IOException {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 2).put("listenSockets", 4))) {
      assertEquals(4, listeningSockets(node.publicPort()), "two listening sockets for each of two shards on " + node.publicPort());
      assertEquals(2, shardsTaking(node, 48), "both shards accept");
    }
  }

  /** Opens {@code clients} connections; @return how many shards took at least one, the counts adding up. */
  private static int shardsTaking(TestNode node, int clients) {
    List<TestClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < clients; i++) {
        open.add(node.client());
      }
      Eventually.await("all " + clients + " connections counted", () -> node.stats().getInteger("connections") == clients);
      JsonArray shards = node.stats().getJsonArray("shards");
      int sum = 0;
      int busy = 0;
      for (int i = 0; i < shards.size(); i++) {
        int c = shards.getJsonObject(i).getInteger("connections");
        sum += c;
        busy += c > 0 ? 1 : 0;
      }
      assertEquals(clients, sum, "per-shard counts add up: " + shards);
      return busy;
    } finally {
      open.forEach(TestClient::close);
    }
  }

  @Test
  void withoutEpollTheShardsShareVertxsOneSocketAndStillAcceptOnIt() throws IOException {
    // NIO: SO_REUSEPORT may not be set there, and elsewhere than Linux it does not spread connections.
    try (TestNode node = TestNode.start(Vertx.vertx(new VertxOptions().setPreferNativeTransport(false)), new JsonObject().put("shards", 2))) {
      assertEquals(1, listeningSockets(node.publicPort()), "one socket, shared by both shards");
      List<TestClient> open = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          open.add(node.client());
        }
        Eventually.await("4 connections counted", () -> node.stats().getInteger("connections") == 4);
        JsonArray shards = node.stats().getJsonArray("shards");
        // Vert.x hands a shared socket's connections to its servers in turn: two each.
        assertEquals(2, shards.getJsonObject(0).getInteger("connections"), shards.encode());
        assertEquals(2, shards.getJsonObject(1).getInteger("connections"), shards.encode());
      } finally {
        open.forEach(TestClient::close);
      }
    }
  }

  @Test
  void aSecondNodeOnTheSamePortIsRefusedAlthoughTheShardsReuseThePort() throws IOException {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 2).put("listenSockets", 2))) {
      Vertx second = Vertx.vertx();
      try {
        AssertionError refused = assertThrows(AssertionError.class,
          () -> TestNode.start(second, new JsonObject().put("publicPort", node.publicPort())));
        assertTrue(String.valueOf(refused.getCause()).contains("cannot listen on the public port"), String.valueOf(refused.getCause()));
      } finally {
        TestNode.await(second.close());
      }
      assertEquals(2, listeningSockets(node.publicPort()), "the first node's two shards still listen, alone");
    }
  }

  @Test
  void listenOverflowsCountTheSynsDroppedAtAFullAcceptQueue() throws IOException {
    int publicPort = TestNode.freePort();
    try (TestNode node = TestNode.start(Metrics.enable(new VertxOptions().setPreferNativeTransport(true), publicPort).build(),
           new JsonObject().put("publicPort", publicPort));
         ServerSocket neverAccepts = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      long before = overflows(node);
      // Backlog 1: the kernel queues two connections and drops every further SYN (counting each)
      // until the owner accepts, which this one never does. The connects stay pending, not refused.
      int attempts = 20;
      List<SocketChannel> pending = new ArrayList<>();
      try {
        for (int i = 0; i < attempts; i++) {
          SocketChannel ch = SocketChannel.open();
          ch.configureBlocking(false);
          ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), neverAccepts.getLocalPort()));
          pending.add(ch);
        }
        // Other processes on this machine may add overflows of their own, never take any away.
        long dropped = attempts - 2;
        Eventually.await("node.listenOverflows up by at least " + dropped + " from " + before, () -> overflows(node) >= before + dropped);
        String metrics = Http.get(node.apiPort(), "/metrics").body();
        long metered = metrics.lines().filter(l -> l.startsWith("pushgate_listen_overflows_total"))
          .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
        assertTrue(metered >= before + dropped, "pushgate_listen_overflows_total " + metered + " from " + before);
      } finally {
        for (SocketChannel ch : pending) {
          ch.close();
        }
      }
    }
  }

  private static long overflows(TestNode node) {
    return node.stats().getJsonObject("node").getLong("listenOverflows");
  }
}
