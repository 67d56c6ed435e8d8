package io.pushgate.vertx;

import io.netty.channel.EventLoop;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A verticle deployed with onEventLoop starts, serves and stops on that loop, whichever loop Vert.x would pick next. */
class OnEventLoopTest {

  /** Notes its start thread, serves its thread's name, and remembers whether any of it ran elsewhere. */
  static final class Probe extends VerticleBase {
    final int port;
    volatile Thread startedOn;
    final AtomicBoolean elsewhere = new AtomicBoolean();
    volatile boolean stoppedOnStartThread;

    Probe(int port) {
      this.port = port;
    }

    @Override
    public Future<?> start() {
      startedOn = Thread.currentThread();
      vertx.setPeriodic(5, id -> check());
      return vertx.createHttpServer().requestHandler(req -> {
        check();
        req.response().end(Thread.currentThread().getName());
      }).listen(port, "127.0.0.1");
    }

    private void check() {
      if (Thread.currentThread() != startedOn) {
        elsewhere.set(true);
      }
    }

    @Override
    public Future<?> stop() {
      stoppedOnStartThread = Thread.currentThread() == startedOn;
      return Future.succeededFuture();
    }
  }

  @Test
  void theVerticleRunsOnTheGivenLoopAndWhatItOpenedClosesWithIt() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(3));
    try {
      List<EventLoop> loops = VertxInternals.eventLoops(vertx);
      assertEquals(3, loops.size());
      // Every loop in turn, the same one twice: Vert.x's own choice moves on with each deployment.
      for (int k : new int[] {2, 2, 0, 1}) {
        EventLoop loop = loops.get(k);
        Thread loopThread = loop.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
        int port = TestNode.freePort();
        Probe probe = new Probe(port);
        String id = TestNode.await(vertx.deployVerticle(VertxInternals.onEventLoop(probe, loop)));
        assertSame(loopThread, probe.startedOn, "started on loop " + k);
        assertEquals(loopThread.getName(), Http.get(port, "/").body(), "requests are served on loop " + k);
        TestNode.await(vertx.undeploy(id));
        assertTrue(probe.stoppedOnStartThread, "stopped on loop " + k);
        assertFalse(probe.elsewhere.get(), "nothing of the verticle ran on another thread");
        assertEquals(-1, Http.statusOrMinusOne(port, "/"), "its server closed with the deployment");
      }
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
