package io.pushgate.bench.soak;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Clients that join the heavy room and stop reading: plain sockets with a 4 KB receive buffer whose
 * handshake and JOIN are written by hand, after which nothing is read (a WebSocket library would
 * keep reading into its own buffers). Each node must cut them (4002) rather than buffer for them; a
 * client that reads nothing never learns it was cut, so each is replaced after a few seconds.
 */
final class SlowClients {

  private static final int LIFE_SECONDS = 8;

  private final SoakOptions o;
  private final Nodes nodes;
  private final Tokens tokens;
  private final ClientStats stats;
  private volatile boolean stopping;
  private Thread thread;

  SlowClients(SoakOptions o, Nodes nodes, Tokens tokens, ClientStats stats) {
    this.o = o;
    this.nodes = nodes;
    this.tokens = tokens;
    this.stats = stats;
  }

  void start() {
    if (o.slow == 0) {
      return;
    }
    thread = new Thread(this::run, "soak-slow-clients");
    thread.setDaemon(true);
    thread.start();
  }

  void stop() throws InterruptedException {
    stopping = true;
    if (thread != null) {
      thread.join(30_000);
    }
  }

  private void run() {
    List<Socket> sockets = new ArrayList<>();
    List<Long> openedAt = new ArrayList<>();
    while (!stopping) {
      for (int i = 0; i < sockets.size(); i++) {
        if (System.nanoTime() - openedAt.get(i) > TimeUnit.SECONDS.toNanos(LIFE_SECONDS)) {
          closeQuietly(sockets.remove(i));
          openedAt.remove(i);
          i--;
        }
      }
      while (sockets.size() < o.slow && !stopping) {
        try {
          sockets.add(open(nodes.any()));
          openedAt.add(System.nanoTime());
          stats.slowOpened.increment();
        } catch (IOException e) {
          break; // a node down or draining: try again on the next round
        }
      }
      try {
        Thread.sleep(200); // pacing of the replacements
      } catch (InterruptedException e) {
        break;
      }
    }
    sockets.forEach(SlowClients::closeQuietly);
  }

  private Socket open(NodeProcess node) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4_096);
    socket.setSoTimeout(10_000);
    try {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), node.publicPort), 10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /connect?token=" + tokens.token("slow", 3_600) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: c29hay1zbG93LWNsaWVudA==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed during the handshake");
        }
        head.append((char) b);
      }
      if (!head.toString().startsWith("HTTP/1.1 101")) {
        throw new IOException("handshake refused: " + head.toString().lines().findFirst().orElse(""));
      }
      out.write(maskedText(new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", SoakOptions.HEAVY_ROOM)).encode()));
      out.flush();
      return socket;
    } catch (IOException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  /** One client text frame (always masked, as RFC 6455 requires), for payloads under 126 bytes. */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    byte[] mask = {0x5a, 0x3c, 0x11, 0x7e};
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x81;
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    return frame;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
