package io.pushgate.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.List;

import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

/** QuickTheories generators of the protocol's inputs, valid and hostile. */
public final class Generators {

  private Generators() {
  }

  /** One code point that a valid room (and any valid JSON string) may hold: no control character, no lone surrogate. */
  public static Gen<Integer> printableCodePoint() {
    return Generate.frequency(
      Pair.of(6, integers().between(0x20, 0x7E)),
      Pair.of(3, integers().between(0xA0, 0xD7FF)),
      Pair.of(1, integers().between(0xE000, 0x10FFFF)));
  }

  public static Gen<String> printable(int minCodePoints, int maxCodePoints) {
    return lists().of(printableCodePoint()).ofSizeBetween(minCodePoints, maxCodePoints).map(cps -> {
      StringBuilder b = new StringBuilder();
      cps.forEach(b::appendCodePoint);
      return b.toString();
    });
  }

  /**
   * Valid room ids: 1 to 128 code points with CJK and astral ones, none a control, format or
   * separator character (Cc, Cf, Zl, Zp) and no '*' (PROTOCOL.md, Room ids).
   */
  public static Gen<String> room() {
    return lists().of(printableCodePoint().map(Generators::roomSafe)).ofSizeBetween(1, 128).map(cps -> {
      StringBuilder b = new StringBuilder();
      cps.forEach(b::appendCodePoint);
      return b.toString();
    });
  }

  /** A printable code point as a room may hold it: one it may not is replaced by 'x'. */
  private static int roomSafe(int cp) {
    int type = Character.getType(cp);
    return cp == '*' || type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR ? 'x' : cp;
  }

  /** Any Java string at all, lone surrogates and control characters included. */
  public static Gen<String> anyString(int maxLength) {
    return strings().allPossible().ofLengthBetween(0, maxLength);
  }

  /** A JSON value (as Vert.x holds it) nesting at most {@code depth} arrays/objects; strings are valid Unicode. */
  public static Gen<Object> json(int depth) {
    Gen<Object> scalar = Generate.oneOf(
      printable(0, 12).map(s -> (Object) s),
      longs().all().map(l -> (Object) l),
      integers().between(-1000, 1000).map(i -> (Object) i),
      doubles().between(-1e9, 1e9).map(d -> (Object) d),
      booleans().all().map(b -> (Object) b),
      Generate.constant(() -> (Object) null));
    if (depth == 0) {
      return scalar;
    }
    Gen<Object> inner = json(depth - 1);
    Gen<Object> array = lists().of(inner).ofSizeBetween(0, 4).map(values -> (Object) new JsonArray(new java.util.ArrayList<>(values)));
    Gen<Object> object = lists().of(printable(0, 6).zip(inner, Pair::of)).ofSizeBetween(0, 4).map(fields -> {
      JsonObject o = new JsonObject();
      for (Pair<String, Object> f : fields) {
        o.put(f._1, f._2);
      }
      return (Object) o;
    });
    return Generate.frequency(Pair.of(5, scalar), Pair.of(2, array), Pair.of(2, object));
  }

  /** Edits a string the way a fuzzer does: delete, insert, replace or duplicate a span, flip a character. */
  public static Gen<String> mutated(Gen<String> originals) {
    Gen<List<Integer>> edits = lists().of(integers().between(0, Integer.MAX_VALUE)).ofSizeBetween(1, 12);
    return originals.zip(edits, Generators::mutate);
  }

  private static final String INSERTS = "{}[]\",:\\0-9eE.tfn \u0000\uD800\u00E9\u9ED8";

  public static String mutate(String s, List<Integer> edits) {
    StringBuilder b = new StringBuilder(s);
    for (int i = 0; i + 2 < edits.size(); i += 3) {
      int kind = edits.get(i) % 5;
      int at = b.length() == 0 ? 0 : edits.get(i + 1) % b.length();
      int arg = edits.get(i + 2);
      switch (kind) {
        case 0 -> { if (b.length() > 0) b.deleteCharAt(at); }
        case 1 -> b.insert(at, INSERTS.charAt(arg % INSERTS.length()));
        case 2 -> { if (b.length() > 0) b.setCharAt(at, (char) (arg % 0x10000)); }
        case 3 -> b.insert(at, b.substring(at, Math.min(b.length(), at + arg % 16)));
        default -> { if (b.length() > 0) b.setCharAt(at, (char) (b.charAt(at) ^ (1 << (arg % 16)))); }
      }
    }
    return b.toString();
  }
}
