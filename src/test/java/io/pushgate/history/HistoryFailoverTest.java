package io.pushgate.history;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two real Hazelcast members with the map configured as the node configures it: when the member
 * that owns a stream's partition dies without a word, its backup holds the same log (epoch, top,
 * items), and the next append continues the numbering instead of reusing an offset.
 */
class HistoryFailoverTest {

  private final List<HazelcastInstance> members = new ArrayList<>();

  @AfterEach
  void stop() {
    members.forEach(m -> m.getLifecycleService().terminate());
  }

  @Test
  void theBackupOfADeadOwnerContinuesTheStreamWhereItWas() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    HazelcastInstance doomed = Hazelcast.newHazelcastInstance(cluster.hazelcastConfig());
    HazelcastInstance survivor = Hazelcast.newHazelcastInstance(cluster.hazelcastConfig());
    members.add(doomed);
    members.add(survivor);
    Eventually.await("two members", () -> survivor.getCluster().getMembers().size() == 2);
    Member doomedMember = doomed.getCluster().getLocalMember();
    IMap<String, StreamLog> map = survivor.getMap(HistoryOptions.MAP);
    map.get("assigns the partitions");
    Eventually.await("partitions assigned and their backups in place", () -> survivor.getPartitionService().isClusterSafe());

    // Rooms on both sides, at least five of them owned by the member that dies.
    List<String> rooms = new ArrayList<>();
    int ownedByDoomed = 0;
    for (int i = 0; ownedByDoomed < 5 || rooms.size() < 10; i++) {
      String room = "room-" + i;
      boolean doomedOwns = survivor.getPartitionService().getPartition(room).getOwner().equals(doomedMember);
      ownedByDoomed += doomedOwns ? 1 : 0;
      rooms.add(room);
    }
    HistoryOptions options = HistoryOptions.DEFAULTS;
    long now = System.currentTimeMillis();
    Map<String, ReadResult> before = new LinkedHashMap<>();
    for (String room : rooms) {
      for (int p = 0; p < 7; p++) {
        List<byte[]> items = List.of(bytes(room + "-" + p + "-a"), bytes(room + "-" + p + "-b"));
        AppendResult r = map.executeOnKey(room, new Append(List.of(new Append.Push(items, "k" + p)), now, Sequencer.newEpoch(), options));
        assertEquals(2L * p + 2, r.top());
      }
      before.put(room, map.executeOnKey(room, new Read(0, 1_000, now, options)));
    }

    assertTrue(survivor.getPartitionService().isClusterSafe(), "no migration under way when the owner dies");
    doomed.getLifecycleService().terminate();
    Eventually.await("the survivor alone", () -> survivor.getCluster().getMembers().size() == 1);

    for (String room : rooms) {
      ReadResult was = before.get(room);
      ReadResult is = map.executeOnKey(room, new Read(0, 1_000, now, options));
      assertEquals(was.epoch(), is.epoch(), room + ": epoch after its owner died");
      assertEquals(14, is.top(), room);
      assertEquals(14, is.items().size(), room);
      for (int i = 0; i < 14; i++) {
        assertArrayEquals(was.items().get(i), is.items().get(i), room + " item " + (i + 1));
      }
      // A retried push is known by its key on the backup too; a new one continues the numbering.
      AppendResult retried = map.executeOnKey(room, new Append(List.of(new Append.Push(List.of(bytes("again")), "k3")), now, Sequencer.newEpoch(), options));
      assertEquals(new AppendResult.Pushed(7, 8, true), retried.pushed().get(0));
      AppendResult next = map.executeOnKey(room, new Append(List.of(new Append.Push(List.of(bytes("next")), null)), now, Sequencer.newEpoch(), options));
      assertEquals(was.epoch(), next.epoch());
      assertEquals(new AppendResult.Pushed(15, 15, false), next.pushed().get(0));
    }
    assertTrue(ownedByDoomed >= 5);
  }

  private static byte[] bytes(String s) {
    return ("\"" + s + "\"").getBytes(StandardCharsets.UTF_8);
  }
}
