package io.pushgate.api;

import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Push bodies at the bounds below pushgate's own limits, with the default limits. go-push's form
 * ({@code room=R&items=[...]}): its {@code items} field is bounded by maxBodyBytes like a JSON body,
 * not by the HTTP server's 8 KiB default for one form field (counted URL-encoded, so a few hundred
 * CJK characters reach it). JSON past the parser's own bounds is 400 saying which, not "too deep".
 */
class PushBodyBoundsTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(new JsonObject());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> pushForm(String room, JsonArray items) {
    return node.post("/push/room", "application/x-www-form-urlencoded",
      "room=" + room + "&items=" + URLEncoder.encode(items.encode(), StandardCharsets.UTF_8));
  }

  @Test
  void aFormFieldPastEightKibibytesIsAcceptedWithinTheBodyLimit() {
    TestClient c = node.client();
    try {
      c.send(new JsonObject().put("type", "JOIN").put("id", 1).put("data", new JsonObject().put("room", "f")));
      c.await(m -> "ACK".equals(m.getString("type")));
      JsonArray items = new JsonArray();
      for (int i = 0; i < 40; i++) {
        items.add("弹幕".repeat(400) + i); // 2,400 UTF-8 bytes, 7,200 URL-encoded: 288 KB of form in all
      }
      HttpResponse<String> r = pushForm("f", items);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(40, new JsonObject(r.body()).getInteger("accepted"));
      List<Object> got = new ArrayList<>(c.awaitItems("f", 40));
      assertEquals(items.getList(), got);
    } finally {
      c.close();
    }
  }

  @Test
  void aNumberPastTheParsersBoundIs400SayingSo() {
    HttpResponse<String> r = node.post("/push/room", "application/json", "{\"room\":\"f\",\"items\":[1" + "0".repeat(1_000) + "]}");
    assertEquals(400, r.statusCode(), r.body());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("BAD_REQUEST", error.getString("code"));
    assertTrue(error.getString("message").contains("1000 digits"), error.getString("message"));
  }

  /**
   * An integer is a double to a browser's JSON.parse too: one of 401 digits would be Infinity there,
   * which README's 400 BAD_REQUEST row promises to prevent, whatever form the push comes in.
   */
  @Test
  void anIntegerPastADoublesRangeIs400() {
    HttpResponse<String> json = node.post("/push/room", "application/json", "{\"room\":\"f\",\"items\":[{\"a\":[1" + "0".repeat(400) + "]}]}");
    assertEquals(400, json.statusCode(), json.body());
    assertEquals(new JsonObject().put("code", "BAD_REQUEST").put("message", "item 0 holds a number beyond the range of a double (such as 1e400,"
      + " or an integer of 400 digits), which clients would read as Infinity and JSON cannot carry"), new JsonObject(json.body()).getJsonObject("error"));
    HttpResponse<String> form = pushForm("f", new JsonArray().add(1).add(new java.math.BigInteger("-1" + "0".repeat(400))));
    assertEquals(400, form.statusCode(), form.body());
    assertTrue(new JsonObject(form.body()).getJsonObject("error").getString("message").startsWith("item 1 holds a number beyond"), form.body());

    String largestDouble = new java.math.BigDecimal(Double.MAX_VALUE).toBigInteger().toString(); // 309 digits
    HttpResponse<String> within = node.post("/push/room", "application/json", "{\"room\":\"f\",\"items\":[" + largestDouble + "]}");
    assertEquals(200, within.statusCode(), within.body());
  }

  @Test
  void aFormPastTheBodyLimitIs413() {
    JsonArray items = new JsonArray();
    for (int i = 0; i < 80; i++) {
      items.add("弹幕".repeat(2_000)); // 80 × 36 KB URL-encoded: past maxBodyBytes (1 MiB)
    }
    HttpResponse<String> r = pushForm("f", items);
    assertEquals(413, r.statusCode(), r.body());
    assertEquals("TOO_LARGE", new JsonObject(r.body()).getJsonObject("error").getString("code"));
  }

  /** One push whose body is these bytes, sent as they are; the answer's status line and body. */
  static String postBytes(int port, String contentType, byte[] body) {
    byte[] head = ("POST /push/room HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: " + contentType
      + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] request = java.util.Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, request, head.length, body.length);
    return io.pushgate.testing.Http.raw(port, request);
  }

  private static byte[] bytes(String prefix, int[] middle, String suffix) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(prefix.getBytes(StandardCharsets.UTF_8));
    for (int b : middle) {
      out.write(b);
    }
    out.writeBytes(suffix.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /**
   * README promises strict UTF-8: Jackson alone decodes overlong forms ({@code C0 BC} and
   * {@code E0 80 BC} are '<'), and reads a body with zero bytes as UTF-16.
   */
  @Test
  void aJsonBodyThatIsNotStrictUtf8Is400() {
    String prefix = "{\"room\":\"s5\",\"items\":[\"";
    for (int[] bad : new int[][] {{0xC0, 0xBC}, {0xE0, 0x80, 0xBC}, {0xED, 0xA0, 0x80}, {0xFF}}) {
      String answer = postBytes(node.apiPort(), "application/json", bytes(prefix, bad, "script\"]}"));
      assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
      assertTrue(answer.contains("\"code\":\"BAD_REQUEST\"") && answer.contains("not valid UTF-8"), answer);
    }
    String utf16 = postBytes(node.apiPort(), "application/json", "{\"room\":\"s5\",\"items\":[1]}".getBytes(StandardCharsets.UTF_16LE));
    assertTrue(utf16.startsWith("HTTP/1.1 400"), utf16);
    String fine = postBytes(node.apiPort(), "application/json", bytes(prefix, new int[] {0xE5, 0xBC, 0xB9}, "\"]}"));
    assertTrue(fine.startsWith("HTTP/1.1 200"), fine);
  }
}
