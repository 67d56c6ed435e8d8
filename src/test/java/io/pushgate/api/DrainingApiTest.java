package io.pushgate.api;

import io.pushgate.bus.Addresses;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pusher's kept-alive connection to a node that starts draining: the refusal says DRAINING, asks for
 * a retry a second later, and the node closes the connection after it, so the retry takes a new one,
 * which Kubernetes sends to a node that stays.
 */
class DrainingApiTest {

  private static final String PUSH = "{\"room\":\"r\",\"items\":[1]}";

  @Test
  void aDrainingNodeRefusesPushesWithDrainingAndClosesTheConnection() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1));
         TestClient client = node.client().joinAcked("r", 1);
         Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.apiPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      String before = exchange(out, in);
      assertTrue(before.startsWith("HTTP/1.1 200 "), before);
      assertTrue(!before.toLowerCase().contains("connection: close"), before);

      // The drain's reply comes once the client got its 1001; the API drains before that.
      node.vertx.eventBus().request(Addresses.DRAIN, null);
      assertEquals(1001, client.awaitClose());

      String during = exchange(out, in);
      assertTrue(during.startsWith("HTTP/1.1 503 "), during);
      String head = during.toLowerCase();
      assertTrue(head.contains("\r\nconnection: close\r\n"), during);
      assertTrue(head.contains("\r\nretry-after: 0\r\n"), during);
      assertEquals("DRAINING", new JsonObject(during.substring(during.indexOf("\r\n\r\n") + 4)).getJsonObject("error").getString("code"));
      assertEquals(-1, in.read(), "the node closed the connection after its answer");
    }
  }

  /** One keep-alive POST of {@link #PUSH} and its whole answer (the body's length from Content-Length). */
  private static String exchange(OutputStream out, InputStream in) throws IOException {
    out.write(("POST /push/room HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + PUSH.length()
      + "\r\n\r\n" + PUSH).getBytes(StandardCharsets.US_ASCII));
    out.flush();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    int length = -1;
    int headEnd = -1;
    while (headEnd < 0 || got.size() < headEnd + length) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed before the whole answer: " + got.toString(StandardCharsets.US_ASCII));
      }
      got.write(b);
      String text = got.toString(StandardCharsets.US_ASCII);
      if (headEnd < 0 && text.endsWith("\r\n\r\n")) {
        headEnd = text.length();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\r\ncontent-length: *(\\d+)").matcher(text);
        length = m.find() ? Integer.parseInt(m.group(1)) : 0;
      }
    }
    return got.toString(StandardCharsets.US_ASCII);
  }
}
