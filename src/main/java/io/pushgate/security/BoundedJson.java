package io.pushgate.security;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Json.decodeValue} with a nesting bound: Vert.x's own decoder into JsonObject/JsonArray, fed
 * by a parser whose {@link StreamReadConstraints} refuse deeper documents while streaming, before
 * any tree of that depth is built (Jackson's default allows 1,000 levels; building those recurses).
 * Otherwise as lenient as Vert.x's codec (C-style comments allowed), so valid pushes decode exactly
 * as before.
 */
public final class BoundedJson {

  /** The document nests deeper than the bound. */
  public static final class TooDeep extends DecodeException {
    TooDeep(String message) {
      super(message);
    }
  }

  /**
   * Valid JSON past one of the parser's own bounds, which are not pushgate's settings: a number of
   * more than 1,000 digits, a name of more than 50,000 characters (Jackson's defaults).
   */
  public static final class OverParserLimit extends DecodeException {
    OverParserLimit(String message) {
      super(message);
    }
  }

  /**
   * Bytes that are not strict UTF-8 (Netty's {@code ByteBufUtil.isText}: no overlong forms, no
   * surrogates, nothing past U+10FFFF), or that hold a zero byte. Jackson decodes overlong forms
   * ({@code C0 BC} is '<') and, given a zero byte, guesses UTF-16 or UTF-32: either way it would
   * take text that no UTF-8 reader downstream sees the same, where a raw zero byte is never JSON.
   */
  public static final class NotUtf8 extends DecodeException {
    NotUtf8(String message) {
      super(message);
    }
  }

  private final JsonFactory factory;
  private final int maxDepth;

  /** @param maxDepth the most arrays and objects open at once, the document's own included */
  public BoundedJson(int maxDepth) {
    this.maxDepth = maxDepth;
    this.factory = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxDepth).build())
      .configure(JsonReadFeature.ALLOW_JAVA_COMMENTS, true)
      .build();
  }

  public Object decode(Buffer json) throws DecodeException {
    byte[] bytes = utf8(json);
    try {
      return decode(factory.createParser(bytes));
    } catch (IOException e) {
      throw new DecodeException(e.getMessage(), e);
    }
  }

  /**
   * An object decoded as {@link #decode(Buffer)} does, with the names of its members in order and a
   * name given twice kept twice: a map keeps one of them, and which one a reader takes differs from
   * reader to reader. Null when the text's top level is no object ({@link #decode(Buffer)} says what
   * it is).
   */
  public Members decodeObject(Buffer json) throws DecodeException {
    byte[] bytes = utf8(json);
    try (JsonParser parser = factory.createParser(bytes)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Map<String, Object> members = new LinkedHashMap<>();
      List<String> names = new ArrayList<>();
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        names.add(name);
        parser.nextToken();
        members.put(name, JacksonCodec.parseValue(parser));
      }
      if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
        throw new DecodeException("not one JSON object");
      }
      return new Members(new JsonObject(members), names);
    } catch (StreamConstraintsException e) {
      throw bounded(e);
    } catch (IOException e) {
      throw new DecodeException(e.getMessage(), e);
    }
  }

  /** An object and its members' names in order, repeats included. */
  public record Members(JsonObject object, List<String> names) {
  }

  private static byte[] utf8(Buffer json) {
    byte[] bytes = json.getBytes();
    ByteBuf wrapped = Unpooled.wrappedBuffer(bytes);
    if (wrapped.indexOf(0, bytes.length, (byte) 0) >= 0 || !ByteBufUtil.isText(wrapped, StandardCharsets.UTF_8)) {
      throw new NotUtf8("not valid UTF-8");
    }
    return bytes;
  }

  public Object decode(String json) throws DecodeException {
    try {
      return decode(factory.createParser(json));
    } catch (IOException e) {
      throw new DecodeException(e.getMessage(), e);
    }
  }

  private DecodeException bounded(StreamConstraintsException limit) {
    if (String.valueOf(limit.getMessage()).contains("getMaxNestingDepth")) {
      return new TooDeep("JSON nested deeper than " + maxDepth + " levels");
    }
    return new OverParserLimit(limit.getOriginalMessage());
  }

  private Object decode(JsonParser parser) {
    try {
      return JacksonCodec.fromParser(parser, Object.class);
    } catch (DecodeException e) {
      if (e.getCause() instanceof StreamConstraintsException limit) {
        throw bounded(limit);
      }
      throw e;
    }
  }
}
