package io.pushgate.api;

import io.pushgate.config.PushgateConfig;
import io.pushgate.merge.PushBatch;
import io.pushgate.testing.Generators;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * Properties of the push body parser: any body, form or JSON, is either a batch or a PushRefused
 * with a status, never another exception; and every valid push comes out with the same room and
 * items equal to those sent, whichever body form carried it.
 */
class PushParserPropertiesTest {

  private static final int MAX_ITEMS = 20;
  private static final int MAX_ITEM_BYTES = 2_000;
  private static final int MAX_DEPTH = 6;
  private static final PushParser PARSER = new PushParser(PushgateConfig.defaults().with(new JsonObject()
    .put("maxItemsPerPush", MAX_ITEMS).put("maxItemBytes", MAX_ITEM_BYTES).put("maxItemDepth", MAX_DEPTH)));

  /** The parser's answer: the batch, or the refusal. Anything else thrown fails the property. */
  private static Object outcome(Supplier<PushBatch> parse) {
    try {
      PushBatch batch = parse.get();
      assertNotNull(batch);
      return batch;
    } catch (PushRefused refused) {
      assertNotNull(refused.error());
      assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank());
      assertTrue(refused.error().status() == 400 || refused.error().status() == 413, refused.error().name());
      return refused;
    }
  }

  /** A form's fields as Vert.x decodes them; a null room is no room field (a push to all has none). */
  private static MultiMap form(String room, String items) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("items", items);
    return room == null ? form : form.add("room", room);
  }

  private static void assertBatchIsSound(Object outcome, boolean toRoom) {
    if (outcome instanceof PushBatch batch) {
      assertTrue(!batch.items().isEmpty() && batch.items().size() <= MAX_ITEMS);
      long bytes = 0;
      for (byte[] item : batch.items()) {
        assertTrue(item.length <= MAX_ITEM_BYTES);
        Json.decodeValue(Buffer.buffer(item)); // each item is valid JSON on its own
        bytes += item.length;
      }
      assertEquals(bytes, batch.bytes());
      if (!toRoom) {
        assertNull(batch.target().room());
      }
    }
  }

  static Gen<String> jsonishBodies() {
    Gen<String> valid = Generators.room().zip(lists().of(Generators.json(4)).ofSizeBetween(0, 5),
      (room, items) -> new JsonObject().put("room", room).put("items", new JsonArray(new ArrayList<>(items))).encode());
    return Generators.mutated(valid).mix(Generators.anyString(200), 30);
  }

  @Test
  void anyJsonBodyIsABatchOrARefusal() {
    qt().withExamples(5_000).forAll(jsonishBodies(), booleans().all()).checkAssert((body, toRoom) ->
      assertBatchIsSound(outcome(() -> PARSER.fromJsonBody(Buffer.buffer(body), toRoom)), toRoom));
  }

  @Test
  void anyRawBytesAreABatchOrARefusal() {
    Gen<byte[]> bytes = lists().of(integers().between(0, 255)).ofSizeBetween(0, 200).map(list -> {
      byte[] b = new byte[list.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) (int) list.get(i);
      }
      return b;
    });
    qt().withExamples(3_000).forAll(bytes).checkAssert(b ->
      assertBatchIsSound(outcome(() -> PARSER.fromJsonBody(Buffer.buffer(b), true)), true));
  }

  @Test
  void anyFormFieldsAreABatchOrARefusal() {
    Gen<String> rooms = Generators.anyString(140).mix(Generators.room(), 50);
    Gen<String> items = Generators.mutated(lists().of(Generators.json(4)).ofSizeBetween(0, 5).map(l -> new JsonArray(new ArrayList<>(l)).encode()));
    qt().withExamples(5_000).forAll(rooms, items, booleans().all()).checkAssert((room, itemsField, toRoom) ->
      assertBatchIsSound(outcome(() -> PARSER.fromForm(form(toRoom ? room : null, itemsField), toRoom)), toRoom));
  }

  /** Valid pushes (within every limit) round-trip through both body forms and the event-bus form. */
  @Test
  void validPushesRoundTrip() {
    Gen<List<Object>> itemLists = lists().of(Generators.json(MAX_DEPTH - 1)).ofSizeBetween(1, MAX_ITEMS)
      .assuming(items -> items.stream().allMatch(i -> Json.encode(i).getBytes(StandardCharsets.UTF_8).length <= MAX_ITEM_BYTES));
    qt().withExamples(2_000).forAll(Generators.room(), itemLists).checkAssert((room, items) -> {
      JsonArray array = new JsonArray(new ArrayList<>(items));
      JsonObject body = new JsonObject().put("room", room).put("items", array);
      for (PushBatch batch : List.of(
        PARSER.fromJsonBody(Buffer.buffer(body.encode()), true),
        PARSER.fromForm(form(room, array.encode()), true),
        PARSER.fromJson(body, true))) {
        assertEquals(room, batch.target().room());
        assertEquals(items.size(), batch.items().size());
        JsonArray decoded = new JsonArray();
        batch.items().forEach(item -> decoded.add(Json.decodeValue(Buffer.buffer(item))));
        assertEquals(array, decoded, body.encode());
      }
    });
  }

  /** Nesting: up to maxItemDepth inside an item is accepted, one more is a 400, in both body forms. */
  @Test
  void itemDepthIsBoundedExactly() {
    qt().withExamples(200).forAll(integers().between(0, 60), booleans().all()).checkAssert((depth, arrays) -> {
      String item = (arrays ? "[" : "{\"k\":").repeat(depth) + "1" + (arrays ? "]" : "}").repeat(depth);
      String json = "{\"room\":\"r\",\"items\":[" + item + "]}";
      Object viaJson = outcome(() -> PARSER.fromJsonBody(Buffer.buffer(json), true));
      Object viaForm = outcome(() -> PARSER.fromForm(form("r", "[" + item + "]"), true));
      for (Object o : List.of(viaJson, viaForm)) {
        if (depth <= MAX_DEPTH) {
          assertTrue(o instanceof PushBatch, depth + ": " + o);
        } else {
          assertEquals(ApiError.BAD_REQUEST, ((PushRefused) o).error(), "depth " + depth);
        }
      }
    });
  }
}
