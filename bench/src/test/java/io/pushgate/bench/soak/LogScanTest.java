package io.pushgate.bench.soak;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogScanTest {

  private static final String RESET = " SEVERE io.vertx.core.net.impl.ConnectionBase - recvAddress(..) failed with error(-104): Connection reset by peer";

  @Test
  void aPeerResetRightAfterAKillIsExpectedAndNothingElseIs(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("node1.1.log");
    Files.write(log, List.of(
      "2026-11-30T13:27:53.120Z" + RESET,                        // 3 s after the kill: expected
      "2026-11-30T13:20:00.000Z" + RESET,                        // long before it: a reset nobody caused
      "2026-11-30T13:27:54.000Z SEVERE io.pushgate.merge.Streams - something broke",
      "2026-11-30T13:27:55.000Z WARNING com.hazelcast.Foo - a warning is not a fault",
      "\tat java.base/some.Frame(Frame.java:1)",
      "2026-11-30T14:27:52.500+0100" + RESET,   // 2.5 s after the kill, written an hour east of UTC: expected
      "2026-11-30T13:27:52.500-0100" + RESET)); // the same clock an hour west: two hours after the kill
    List<String> found = LogScan.unexpected(List.of(log), List.of(Instant.parse("2026-11-30T13:27:50Z")));
    assertEquals(3, found.size(), found.toString());
    assertTrue(found.get(0).contains("13:20:00"));
    assertTrue(found.get(1).contains("something broke"));
    assertTrue(found.get(2).contains("-0100"));
  }
}
