package io.pushgate.cluster;

import io.pushgate.merge.PushBatch;
import io.pushgate.protocol.Target;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broadcast over this node's limits is taken as over them (its clients here closed with 1013)
 * only within {@link ClusterPushCodec#FAR_PAST} times them; past that it is refused as malformed
 * before its items are read, since checking each as JSON would hold the merger's loop for seconds.
 * Encoded by a codec of default limits, decoded by one of 10 items a push of 64 bytes each and 100
 * bytes a body.
 */
class FarPastLimitsTest {

  private static final ClusterOptions SMALL = new ClusterOptions(10, 64, 16, 100);

  private static ClusterPush roundTrip(int items, int itemBytes) {
    byte[] item = "1".repeat(itemBytes).getBytes(StandardCharsets.US_ASCII);
    List<byte[]> all = Collections.nCopies(items, item);
    Buffer wire = Buffer.buffer();
    new ClusterPushCodec(ClusterOptions.DEFAULTS).encodeToWire(wire,
      ClusterPush.of("peer", new PushBatch(Target.ALL, all, (long) items * itemBytes)));
    return new ClusterPushCodec(SMALL).decodeFromWire(0, wire);
  }

  @Test
  void overTheLimitsButWithinFourTimesIsTakenAsOverThem() {
    ClusterPush push = roundTrip(4 * 10, 1);
    assertNotNull(push.overLimits(), push.problem());
  }

  @Test
  void moreThanFourTimesTheItemsIsMalformed() {
    ClusterPush push = roundTrip(4 * 10 + 1, 1);
    assertNull(push.overLimits(), "not taken as over the limits: " + push.problem());
    assertTrue(push.problem().contains("not read"), push.problem());
  }

  @Test
  void itemsOfMoreBytesThanAnyNodeWithTheseLimitsSendsAreMalformed() {
    ClusterPush push = roundTrip(30, 60); // 1,800 bytes > 4 x 100 and > 10 x 64
    assertNull(push.overLimits(), "not taken as over the limits: " + push.problem());
    assertTrue(push.problem().contains("not read"), push.problem());
  }

  /**
   * The API re-encodes items (1e23 comes back as 9.999999999999999E22), so a push within every limit
   * can carry more item bytes than 4 x maxBodyBytes: up to maxItemsPerPush x maxItemBytes.
   */
  @Test
  void aPushWithinTheLimitsIsTakenWhateverItsBodyWas() {
    ClusterPush push = roundTrip(10, 64); // 640 bytes > 4 x 100
    assertNull(push.problem(), push.problem());
    assertEquals(10, push.batch().items().size());
  }
}
