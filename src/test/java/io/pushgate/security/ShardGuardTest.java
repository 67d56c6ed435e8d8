package io.pushgate.security;

import io.pushgate.config.PushgateConfig;
import io.pushgate.metrics.NodeStats;
import io.pushgate.protocol.RoomPatterns;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guard's per-connection timers, on a real event loop. */
class ShardGuardTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * A connection that closes before its token expires takes its expiry timer with it. Seen directly,
   * with an expiry that always says it closed something: over a real socket the leaked timer would
   * close a connection already closed, which counts nothing (AuthTest cannot see it).
   */
  @Test
  void aReleasedSessionsExpiryNeverFiresWhileOneStillOpenExpires() throws Exception {
    NodeSecurity security = NodeSecurity.create(vertx, PushgateConfig.defaults(), new NodeStats());
    ShardGuard guard = security.forShard(vertx);
    Context loop = vertx.getOrCreateContext();
    AtomicBoolean releasedExpired = new AtomicBoolean();
    CompletableFuture<Long> openExpiredAt = new CompletableFuture<>();
    long deadline = System.currentTimeMillis() + 300;
    long later = deadline + 200;
    loop.runOnContext(v -> {
      ClientSession released = ClientSession.detached(new Grant("leaves", deadline, RoomPatterns.ANY), 0, 0, 0);
      ClientSession open = ClientSession.detached(new Grant("stays", later, RoomPatterns.ANY), 0, 0, 0);
      guard.watchExpiry(released, () -> {
        releasedExpired.set(true);
        return true;
      });
      guard.watchExpiry(open, () -> {
        long now = System.currentTimeMillis();
        loop.runOnContext(next -> openExpiredAt.complete(now)); // once the guard has counted it, on the loop's next turn
        return true;
      });
      guard.release(released);
    });
    // Both timers are on this one event loop, the released one's due 200 ms before the other's: had it
    // stayed, it would have fired before the one this waits for.
    long firedAt = openExpiredAt.get(10, TimeUnit.SECONDS);
    assertTrue(firedAt >= later, "the open session expired at its deadline, not " + (later - firedAt) + " ms before it");
    assertFalse(releasedExpired.get(), "the released session's expiry timer outlived its release and fired");
    assertEquals(1, security.stats.tokenExpiredClosed.get(), "only the open session's expiry is counted");
  }
}
