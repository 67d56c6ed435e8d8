package io.pushgate.node;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up warning counts every listening socket's accept queue, whichever shard owns it. */
class KernelCountersTest {

  @Test
  void theWarningComesWhenTheSocketsQueueFewerThanMaxConnections() {
    // 4 x 4096 = 16,384 < 19,000: each socket would need 4,750.
    String warning = KernelCounters.listenQueueWarning(4096, 4, 65_535, 19_000);
    assertTrue(warning.contains("the public port's 4 listening sockets queue 4096 connections each, 16384 in all"), warning);
    assertTrue(warning.contains("Raise net.core.somaxconn to at least 4750"), warning);
    // 5 x 4096 = 20,480 hold them all.
    assertNull(KernelCounters.listenQueueWarning(4096, 5, 65_535, 19_000));
    // A backlog under somaxconn is what to raise.
    assertTrue(KernelCounters.listenQueueWarning(32_768, 2, 1_000, 19_000).contains("Raise acceptBacklog to at least 9500"));
    assertNull(KernelCounters.listenQueueWarning(-1, 1, 1, 19_000), "no warning where somaxconn is unknown");
    assertEquals(-1, KernelCounters.field(java.util.List.of("TcpExt: A B", "TcpExt: 1 2"), "TcpExt:", "C"));
  }
}
