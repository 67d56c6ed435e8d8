package io.pushgate.cluster;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.ProcessCluster;
import io.pushgate.testing.ProcessCluster.Node;
import io.pushgate.testing.StreamReader;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real split brain between two {@code java -jar target/pushgate.jar -cluster} processes: one is
 * stopped (SIGSTOP) past the heartbeat timeout, so the other goes on alone; resumed, it finds itself
 * removed and goes on alone too; both halves take pushes; then Hazelcast's split-brain handler
 * (every 10 s in the shipped conf/cluster.xml) merges them. A stream both halves numbered items of
 * must not keep either half's numbering, whose offsets the other half's clients hold for other items:
 * it starts again, and a client of either half rejoining is told EPOCH_CHANGED, on either node. A
 * stream only one half appended to goes on, and the other half's client recovers what it missed.
 */
class SplitBrainIT {

  private static final Duration SPLIT = Duration.ofSeconds(60);
  /** Rounds of split and merge at most: a round whose merge came before the push to the resumed node has nothing diverged to check. */
  private static final int ROUNDS = 3;

  private final Vertx vertx = Vertx.vertx();
  private final WebSocketClient ws = StreamReader.client(vertx);
  private ProcessCluster cluster;
  private Node stopped;

  @AfterEach
  void stop() throws Exception {
    if (stopped != null) {
      signal(stopped, "CONT");
    }
    if (cluster != null) {
      cluster.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aStreamBothHalvesNumberedStartsAgainAndOneOnlyOneHalfAppendedToGoesOn(@TempDir Path dir) throws Exception {
    cluster = new ProcessCluster(dir, Map.of());
    List<Node> nodes = cluster.startAll(2);
    Node a = nodes.get(0); // goes on alone while b is stopped
    Node b = nodes.get(1);

    for (int round = 1; round <= ROUNDS; round++) {
      String both = "both-" + round;
      String oneHalf = "one-half-" + round;
      String epoch = ProcessCluster.push(a, both, "together-1", both + "-1").getString("epoch");
      assertEquals(2, ProcessCluster.push(b, both, "together-2", both + "-2").getLong("offset"));
      String oneHalfEpoch = ProcessCluster.push(b, oneHalf, "together-1", oneHalf + "-1").getString("epoch");
      long[] epochChangesBefore = {epochChanges(a), epochChanges(b)};

      stopped = b;
      signal(b, "STOP");
      Eventually.await("node A alone after B stopped answering", () -> a.members() == 1, SPLIT);
      JsonObject onA = ProcessCluster.push(a, both, "a-3", both + "-a3");
      assertEquals(3, onA.getLong("offset"), onA.encode());
      assertEquals(epoch, onA.getString("epoch"));
      assertEquals(2, ProcessCluster.push(a, oneHalf, "a-2", oneHalf + "-a2").getLong("offset"));
      signal(b, "CONT");
      stopped = null;
      // B finds itself removed and goes on alone, unless the halves merged before this saw it.
      Eventually.await("node B alone after it resumed, or the two together again",
        () -> b.members() == 1 || a.members() == 2 && b.members() == 2, SPLIT);
      JsonObject onB = b.members() == 1 ? ProcessCluster.push(b, both, "b-3", both + "-b3") : null;
      if (onB == null || onB.getLong("offset") != 3 || !epoch.equals(onB.getString("epoch"))) {
        // The halves merged before B took its push: nothing diverged; split them again.
        Eventually.await("the two nodes together again", () -> a.members() == 2 && b.members() == 2, SPLIT);
        continue;
      }

      Eventually.await("the halves merged", () -> a.members() == 2 && b.members() == 2, SPLIT);
      // Until a node has reread the stream the merge changed, it answers from the numbering it had:
      // the rejoins wait for each node to count that restart (history.epochChanges), not for the
      // answer they check, and are then asked once.
      for (Node n : nodes) {
        long before = epochChangesBefore[n.index()];
        Eventually.await("node " + n.index() + " found " + both + " started again (history.epochChanges over " + before + ")",
          () -> epochChanges(n) > before, SPLIT);
      }
      for (Node n : nodes) {
        JsonObject ack = rejoin(n, both, 3, epoch);
        assertNotNull(ack, "no ACK of a rejoin of " + both + " on node " + n.index());
        assertEquals(false, ack.getBoolean("recovered"), ack.encode());
        assertEquals("EPOCH_CHANGED", ack.getString("reason"), ack.encode());
        assertNotEquals(epoch, ack.getString("epoch"), ack.encode());
        // B's node learns A's append when it rereads its active streams after the merge: meanwhile it
        // may answer at offset 1, where B's half stopped, and nothing else.
        JsonObject missed = Eventually.value("B's client of " + oneHalf + " rejoining on node " + n.index() + " given what A appended",
          () -> rejoin(n, oneHalf, 1, oneHalfEpoch), x -> {
            if (x == null) {
              return false;
            }
            assertEquals(true, x.getBoolean("recovered"), x.encode());
            assertEquals(oneHalfEpoch, x.getString("epoch"), x.encode());
            long offset = x.getLong("offset", 0L);
            assertTrue(offset == 1 || offset == 2, x.encode());
            return offset == 2;
          });
        assertEquals(2, missed.getLong("offset"), missed.encode());
      }
      JsonObject after = ProcessCluster.push(b, both, "after", both + "-after");
      assertEquals(1, after.getLong("offset"), after.encode());
      assertNotEquals(epoch, after.getString("epoch"));
      assertEquals(after.getString("epoch"), ProcessCluster.push(a, both, "after-2", both + "-after-2").getString("epoch"), "one numbering again");
      return;
    }
    throw new AssertionError("in " + ROUNDS + " rounds the halves always merged before the resumed node took a push");
  }

  /** A new client's JOIN of {@code room} since the position: its ACK, or null if none came in time. */
  private JsonObject rejoin(Node n, String room, long offset, String epoch) {
    try {
      StreamReader r = StreamReader.connect(ws, n.publicPort(), room).await(10, TimeUnit.SECONDS);
      try {
        r.join(1, offset, epoch);
        Eventually.await("the ACK of a JOIN of " + room + " on node " + n.index(), () -> r.ack(1) != null);
        return r.ack(1);
      } finally {
        r.close().await(10, TimeUnit.SECONDS);
      }
    } catch (Exception | AssertionError e) {
      return null;
    }
  }

  /** Streams whose numbering started again while the node kept their state, as its /stats counts them. */
  private static long epochChanges(Node n) {
    return n.stats().getJsonObject("history").getLong("epochChanges");
  }

  private static void signal(Node n, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(n.process().pid())).inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " node " + n.index());
  }
}
