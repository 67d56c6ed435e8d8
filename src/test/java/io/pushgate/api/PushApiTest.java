package io.pushgate.api;

import io.pushgate.testing.Eventually;
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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every refusal of the HTTP push API: its status and its JSON error body. */
class PushApiTest {

  private static TestNode node;

  /** Small limits, and a tick longer than the tests, so that what merges stays pending. */
  private static TestNode startNode() {
    return TestNode.start(new JsonObject()
      .put("maxItemsPerPush", 3).put("maxItemBytes", 100).put("maxBodyBytes", 1_000).put("maxBatchBytes", 1_024)
      .put("maxPendingBytes", 1_024).put("tickMillis", 60_000));
  }

  @BeforeAll
  static void start() {
    node = startNode();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static void assertRefused(HttpResponse<String> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals(code, error.getString("code"), response.body());
    assertEquals(false, error.getString("message").isBlank());
  }

  @Test
  void malformedBodiesAre400() {
    assertRefused(node.post("/push/room", "application/json", "{not json"), 400, "BAD_REQUEST");
    assertRefused(node.post("/push/room", "application/json", "[1]"), 400, "BAD_REQUEST");
    assertRefused(node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", "not an array")), 400, "BAD_REQUEST");
    assertRefused(node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray())), 400, "BAD_REQUEST");
    assertRefused(node.post("/push/room", "application/x-www-form-urlencoded", "room=r&items=%5B%7Bbroken"), 400, "BAD_REQUEST");
    assertRefused(node.post("/push/room", "application/x-www-form-urlencoded", "room=r"), 400, "BAD_REQUEST");
    // A number no double holds would reach clients as the string "Infinity": refused, not changed.
    assertRefused(node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[{\"a\":[1e400]}]}"), 400, "BAD_REQUEST");
    assertEquals(200, node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[{\"a\":[1e300, 0.1]}]}").statusCode());
  }

  /**
   * A JSON string may escape half of a surrogate pair: no character, which UTF-8 cannot carry. Such an
   * item is refused, in a JSON body or a form's items, rather than taken with a '?' in its place.
   */
  @Test
  void anUnpairedSurrogateIs400() {
    HttpResponse<String> value = node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[\"a\\ud800b\"]}");
    assertRefused(value, 400, "BAD_REQUEST");
    assertEquals("item 0 holds an unpaired surrogate (\\ud800), which is no Unicode character and UTF-8 cannot carry",
      new JsonObject(value.body()).getJsonObject("error").getString("message"));
    HttpResponse<String> nested = node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[1,{\"k\":[\"\\udc00\"]}]}");
    assertRefused(nested, 400, "BAD_REQUEST");
    assertEquals("item 1 holds an unpaired surrogate (\\udc00), which is no Unicode character and UTF-8 cannot carry",
      new JsonObject(nested.body()).getJsonObject("error").getString("message"));
    // In a name, the parser itself refuses it (as JSON it cannot decode).
    assertRefused(node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[{\"\\udc00\":1}]}"), 400, "BAD_REQUEST");
    // Two halves in two strings are no pair.
    assertRefused(node.post("/push/room", "application/x-www-form-urlencoded",
      "room=r&items=" + URLEncoder.encode("[[\"\\ud800\",\"\\udc00\"]]", StandardCharsets.UTF_8)), 400, "BAD_REQUEST");
    // A room of its own: its one item leaves at once, as a quiet room's first, so no other test finds it pending.
    assertEquals(200, node.post("/push/room", "application/json", "{\"room\":\"pair\",\"items\":[\"a\\ud83d\\ude00b\"]}").statusCode(),
      "a pair is one character, U+1F600");
  }

  /**
   * Vert.x's form decoder reads UTF-8 whatever the charset says and puts U+FFFD in place of bytes
   * that are not UTF-8: room "s%E9" would have been room "s\uFFFD". Such forms are refused, and
   * go-push's own form still goes through.
   */
  @Test
  void aFormThatIsNotUtf8Is400() {
    String form = "application/x-www-form-urlencoded";
    for (String body : new String[] {"room=s%E9&items=[1]", "room=r&items=%5B%22a%C3%28b%ff%22%5D", "room=r&items=%5B%22%C0%BC%22%5D"}) {
      HttpResponse<String> r = node.post("/push/room", form, body);
      assertRefused(r, 400, "BAD_REQUEST");
      assertEquals("a form field is not valid UTF-8", new JsonObject(r.body()).getJsonObject("error").getString("message"), body);
    }
    HttpResponse<String> latin1 = node.post("/push/room", form + "; charset=ISO-8859-1", "room=r&items=%5B%22caf%E9%22%5D");
    assertRefused(latin1, 400, "BAD_REQUEST");
    assertEquals("a form's charset must be UTF-8 (or ASCII-compatible for a body of ASCII only)",
      new JsonObject(latin1.body()).getJsonObject("error").getString("message"));
    // Apache HttpClient 4 labels its forms ISO-8859-1: a body of ASCII reads the same either way.
    assertEquals(200, node.post("/push/room", form + "; charset=ISO-8859-1", "room=r&items=[1]").statusCode());
    assertRefused(node.post("/push/room", form + "; charset=UTF-16", "room=r&items=[1]"), 400, "BAD_REQUEST");
    assertEquals(200, node.post("/push/room", form + "; charset=UTF-8", "room=r&items=" + URLEncoder.encode("[\"弹幕 ok\"]", StandardCharsets.UTF_8))
      .statusCode());
    assertEquals(200, node.post("/push/room", form, "room=r&items=[\"a b\"]").statusCode());
  }

  /**
   * A chunked form past maxBodyBytes, in one chunk or in many: 413 as README says, not the form
   * decoder's own 400 "Size exceed allowed maximum capacity", which it reached first when its field
   * bound was maxBodyBytes exactly.
   */
  @Test
  void aChunkedFormPastTheBodyLimitIs413() {
    String field = "room=r&items=" + "%5B".repeat(400); // 1,213 bytes, one field of 1,200
    for (int chunk : new int[] {field.length(), 100, 7}) {
      StringBuilder request = new StringBuilder("POST /push/room HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
        + "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; i < field.length(); i += chunk) {
        String piece = field.substring(i, Math.min(field.length(), i + chunk));
        request.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
      }
      String answer = io.pushgate.testing.Http.raw(node.apiPort(), request.append("0\r\n\r\n").toString());
      assertTrue(answer.startsWith("HTTP/1.1 413"), chunk + ": " + answer);
      assertTrue(answer.contains("\"code\":\"TOO_LARGE\""), answer);
    }
  }

  /**
   * README's 400 row names the form decoder's bound on fields, which go-push's 2 to 4 never near: 256
   * fields reach pushgate (which refuses the first it does not take), 257 are the decoder's refusal.
   */
  @Test
  void aFormOfMoreThan256FieldsIs400() {
    HttpResponse<String> atTheBound = node.post("/push/room", "application/x-www-form-urlencoded", "room=r&items=[1]" + "&x=".repeat(254));
    assertRefused(atTheBound, 400, "BAD_REQUEST");
    assertTrue(message(atTheBound).startsWith("unknown field 'x'"), atTheBound.body());
    HttpResponse<String> over = node.post("/push/room", "application/x-www-form-urlencoded", "room=r&items=[1]" + "&x=".repeat(255));
    assertRefused(over, 400, "BAD_REQUEST");
    assertEquals("request refused", message(over));
  }

  /**
   * Refusals say what was wrong in pushgate's words, never by quoting the request (its path, method,
   * Content-Type, or a field as Netty's form decoder did), and every answer carries nosniff.
   */
  @Test
  void refusalsEchoNothingOfTheRequest() {
    String marker = "ZQXmarker";
    java.util.List<HttpResponse<String>> answers = java.util.List.of(
      node.post("/push/room", "application/x-www-form-urlencoded", "room=r&items=%zz" + marker),
      node.get(node.apiPort(), "/" + marker),
      io.pushgate.testing.Http.send("DELETE", node.apiPort(), "/push/" + marker, null, null, java.util.Map.of()),
      node.post("/push/room", "text/" + marker, "x"));
    for (HttpResponse<String> r : answers) {
      assertTrue(r.statusCode() >= 400, r.body());
      assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
      assertFalse(r.body().contains(marker) || r.body().contains("DELETE"), r.body());
      assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""), r.body());
    }
    HttpResponse<String> fine = node.get(node.apiPort(), "/stats");
    assertEquals("nosniff", fine.headers().firstValue("X-Content-Type-Options").orElse(""));
  }

  /**
   * Content-Type is ASCII, compared without regard to case whatever the JVM's locale: under a Turkish
   * default, "APPLICATION/JSON" lower-cased with it has a dotless i and was answered 415.
   */
  @Test
  void contentTypesAreCaseFreeInATurkishLocale() {
    java.util.Locale before = java.util.Locale.getDefault();
    java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr-TR"));
    try {
      assertEquals(200, node.post("/push/room", "APPLICATION/JSON", "{\"room\":\"r\",\"items\":[1]}").statusCode());
      assertEquals(200, node.post("/push/room", "application/x-www-form-urlencoded; CHARSET=UTF-8", "room=r&items=[1]").statusCode());
      assertEquals("invalid_payload", io.pushgate.protocol.CloseCode.INVALID_PAYLOAD.statName());
    } finally {
      java.util.Locale.setDefault(before);
    }
  }

  /** A path that does not decode is refused as every other request is: README's JSON body, counted. */
  @Test
  void anUndecodablePathIsAJsonRefusal() {
    long before = node.stats().getJsonObject("api").getJsonObject("refused").getLong("BAD_REQUEST", 0L);
    String answer = io.pushgate.testing.Http.raw(node.apiPort(), "GET /rooms/%zz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
    assertTrue(answer.contains("{\"error\":{\"code\":\"BAD_REQUEST\""), answer);
    assertEquals(before + 1, node.stats().getJsonObject("api").getJsonObject("refused").getLong("BAD_REQUEST", 0L));
  }

  private static String message(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("message");
  }

  /**
   * A room on POST /push/all is a push meant for one room sent to the wrong URL: it was taken, and
   * reached every viewer, those whose tokens keep them out of that room too. It is refused, in a JSON
   * body and in a form, whatever its value (null or empty, as a pusher's unset variable arrives), and
   * reaches no one. go-push's forms, as Go's url.Values writes them (fields sorted), still go through.
   */
  @Test
  void aRoomOnAPushToAllIsRefusedAndReachesNoOne() {
    String form = "application/x-www-form-urlencoded";
    String secret = URLEncoder.encode("[\"secret for vip-only\"]", StandardCharsets.UTF_8);
    try (TestNode node = TestNode.start(new JsonObject());
         TestClient viewer = node.client().joinAcked("lobby", 1)) {
      for (HttpResponse<String> r : List.of(
        node.post("/push/all", "application/json", "{\"room\":\"vip-only\",\"items\":[\"secret for vip-only\"]}"),
        node.post("/push/all", "application/json", "{\"items\":[\"secret\"],\"room\":null}"),
        node.post("/push/all", form, "room=vip-only&items=" + secret),
        node.post("/push/all", form, "items=" + secret + "&room="))) {
        assertRefused(r, 400, "BAD_REQUEST");
        assertTrue(message(r).contains("POST /push/room"), r.body());
      }
      // The room in the URL: no push reads its query, and one that has a query is refused whole.
      HttpResponse<String> query = node.post("/push/all?room=vip-only", form, "items=" + secret);
      assertRefused(query, 400, "BAD_REQUEST");
      assertFalse(query.body().contains("vip-only"), query.body());
      assertEquals(200, node.post("/push/all", form, "items=" + URLEncoder.encode("[\"to all\"]", StandardCharsets.UTF_8)).statusCode());
      assertEquals(List.of("to all"), viewer.awaitItems(null, 1), "the first push to all the viewer gets is the one taken");
      HttpResponse<String> toRoom = node.post("/push/room", form, "items=" + URLEncoder.encode("[\"to lobby\"]", StandardCharsets.UTF_8) + "&room=lobby");
      assertEquals(200, toRoom.statusCode(), toRoom.body());
      assertEquals(List.of("to lobby"), viewer.awaitItems("lobby", 1));
      assertEquals(5, node.stats().getJsonObject("api").getJsonObject("refused").getLong("BAD_REQUEST"));
    }
  }

  /**
   * A field the push does not take is refused, naming it: a typo ("priorty", "idempotency_key") was
   * dropped without a word and changed what the push did. Form field names are compared as written,
   * as JSON's are (Vert.x reads a form's names without regard to case: "Room" was taken as "room").
   * A name is quoted only when short and plain, so that a refusal repeats no arbitrary input.
   */
  @Test
  void anUnknownFieldIsRefusedNamingIt() {
    String form = "application/x-www-form-urlencoded";
    record Case(String path, String type, String body, String field) { }
    for (Case c : List.of(
      new Case("/push/room", "application/json", "{\"room\":\"r\",\"items\":[1],\"bogus\":1}", "bogus"),
      new Case("/push/room", "application/json", "{\"room\":\"r\",\"priorty\":\"low\",\"items\":[1]}", "priorty"),
      new Case("/push/all", "application/json", "{\"items\":[1],\"idempotency_key\":\"k1\"}", "idempotency_key"),
      new Case("/push/room", form, "room=r&items=%5B1%5D&priorty=low", "priorty"),
      new Case("/push/room", form, "room=r&Room=s&items=%5B1%5D", "Room"),
      new Case("/push/all", form, "items=%5B1%5D&rooms=vip", "rooms"))) {
      HttpResponse<String> r = node.post(c.path(), c.type(), c.body());
      assertRefused(r, 400, "BAD_REQUEST");
      assertTrue(message(r).contains("'" + c.field() + "'"), c.body() + ": " + r.body());
    }
    HttpResponse<String> query = node.post("/push/room?priority=low", "application/json", "{\"room\":\"r\",\"items\":[1]}");
    assertRefused(query, 400, "BAD_REQUEST");
    assertTrue(message(query).contains("query"), query.body());
    String marker = "ZQX" + "y".repeat(40);
    for (HttpResponse<String> r : List.of(
      node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[1],\"" + marker + "\":1}"),
      node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[1],\"<b>ZQX</b>\":1}"),
      node.post("/push/room", form, "room=r&items=%5B1%5D&" + marker + "=1"))) {
      assertRefused(r, 400, "BAD_REQUEST");
      assertFalse(r.body().contains("ZQX"), r.body());
    }
  }

  /**
   * A field given twice is refused: which of the two counts differs between readers (a form's first,
   * a JSON map's last), so a check in front of pushgate could read one room and pushgate the other.
   * Items whose objects repeat a key still go out, re-encoded with the last value.
   */
  @Test
  void aFieldGivenTwiceIsRefusedAndReachesNoOne() {
    String form = "application/x-www-form-urlencoded";
    try (TestNode node = TestNode.start(new JsonObject());
         TestClient a = node.client().joinAcked("a", 1);
         TestClient b = node.client().joinAcked("b", 1)) {
      for (HttpResponse<String> r : List.of(
        node.post("/push/room", "application/json", "{\"room\":\"a\",\"room\":\"b\",\"items\":[\"twice\"]}"),
        node.post("/push/room", "application/json", "{\"room\":\"a\",\"items\":[\"twice\"],\"items\":[\"again\"]}"),
        node.post("/push/room", form, "room=a&room=b&items=%5B%22twice%22%5D"))) {
        assertRefused(r, 400, "BAD_REQUEST");
        assertTrue(message(r).contains("given more than once"), r.body());
      }
      HttpResponse<String> nested = node.post("/push/room", "application/json", "{\"room\":\"b\",\"items\":[{\"k\":1,\"k\":2}]}");
      assertEquals(200, nested.statusCode(), nested.body());
      assertEquals(200, node.post("/push/room", "application/json", "{\"room\":\"a\",\"items\":[\"once\"]}").statusCode());
      assertEquals(List.of("once"), a.awaitItems("a", 1), "the first push room a gets is the one taken");
      assertEquals(List.of(new JsonObject().put("k", 2)), b.awaitItems("b", 1), "room b got only the push whose items repeat a key");
    }
  }

  @Test
  void badRoomsAre400BadRoom() {
    assertRefused(node.pushJson("/push/room", new JsonObject().put("items", new JsonArray().add(1))), 400, "BAD_ROOM");
    assertRefused(node.pushJson("/push/room", new JsonObject().put("room", "").put("items", new JsonArray().add(1))), 400, "BAD_ROOM");
    assertRefused(node.pushJson("/push/room", new JsonObject().put("room", 5).put("items", new JsonArray().add(1))), 400, "BAD_ROOM");
    assertRefused(node.pushJson("/push/room", new JsonObject().put("room", "x".repeat(129)).put("items", new JsonArray().add(1))), 400, "BAD_ROOM");
  }

  @Test
  void overLimitsAre413() {
    assertRefused(node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(1).add(2).add(3).add(4))), 413, "TOO_LARGE");
    assertRefused(node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add("x".repeat(99)))), 413, "TOO_LARGE");
    assertRefused(node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[\"" + "x".repeat(2_000) + "\"]}"), 413, "TOO_LARGE");
  }

  @Test
  void otherContentTypesAre415AndUnknownPaths404() {
    assertRefused(node.post("/push/room", "text/plain", "hello"), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertRefused(node.post("/push/room", null, "hello"), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertRefused(node.post("/push/nowhere", "application/json", "{}"), 404, "NOT_FOUND");
    assertRefused(node.get(node.apiPort(), "/nowhere"), 404, "NOT_FOUND");
    assertRefused(node.get(node.apiPort(), "/push/room"), 405, "METHOD_NOT_ALLOWED");
  }

  /**
   * With a tick longer than the test, nothing leaves the merger but early flushes and a quiet room's
   * first item, and one room under its batch limits avoids both: once its bytes are full, pushes get 503.
   * On a node of its own: the queue stays full until the tick, and the other tests' pushes would get 503
   * after it (or fill part of it before).
   */
  @Test
  void fullMergeQueueIs503AndNothingOfTheRefusedPushIsKept() {
    try (TestNode node = startNode()) {
      JsonArray items = new JsonArray().add("y".repeat(90)).add("y".repeat(90));
      // A quiet room's first item leaves at once (leading edge): one warm item first, then the room merges until the tick.
      assertEquals(200, node.pushJson("/push/room", new JsonObject().put("room", "queue").put("items", new JsonArray().add("warm"))).statusCode());
      Eventually.await("the warm item handed out", () -> node.stats().getJsonObject("merger").getLong("pendingBytes") == 0);
      int accepted = 0;
      HttpResponse<String> response;
      while ((response = node.pushJson("/push/room", new JsonObject().put("room", "queue").put("items", items))).statusCode() == 200) {
        accepted++;
        if (accepted > 100) {
          throw new AssertionError("merge queue never filled");
        }
      }
      assertRefused(response, 503, "QUEUE_FULL");
      assertEquals("1", response.headers().firstValue("Retry-After").orElse(null), "nothing was taken: retry a second later");
      JsonObject merger = node.stats().getJsonObject("merger");
      // Each push is 2 items of 92 bytes, each counted with what it costs the heap beside its bytes;
      // the queue holds 1,024 bytes: 4 pushes fit, the 5th does not (5 would without the overhead).
      long perPush = 2L * (92 + io.pushgate.merge.PushBatch.ITEM_OVERHEAD_BYTES);
      assertEquals(4, accepted, merger.encode());
      assertEquals(1_024 / perPush, accepted, "what fits in maxPendingBytes");
      assertEquals(accepted * perPush, merger.getLong("pendingBytes"));
    }
  }

  /** The setting's text, which README repeats, says what each item counts beside its bytes. */
  @Test
  void maxPendingBytesSaysWhatAnItemCountsBesideItsBytes() {
    String text = io.pushgate.config.Limit.MAX_PENDING_BYTES.atLimit();
    assertTrue(text.contains("counted with " + io.pushgate.merge.PushBatch.ITEM_OVERHEAD_BYTES + " bytes more"), text);
  }
}
