package io.pushgate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;

/**
 * Decodes the client's control messages ({@code {"type":..,"id":..,"data":{..}}}) with a streaming
 * parser, so a hostile frame costs at most one pass over its bytes and no tree. The frame size is
 * already bounded by {@code maxFrameBytes}; nesting is bounded here.
 */
public final class ClientFrameDecoder {

  /** Our messages nest three levels; anything far deeper is abuse, refused before it costs stack. */
  static final int MAX_NESTING = 16;
  static final int MAX_EPOCH_CHARS = Position.MAX_EPOCH_CHARS;
  /** A JWT in a REFRESH: far larger than a real token, far smaller than a frame. */
  static final int MAX_TOKEN_CHARS = 4_096;

  private static final JsonFactory JSON = JsonFactory.builder()
    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
    .build();

  private ClientFrameDecoder() {
  }

  /** What the message's {@code data} held, as far as the protocol reads it. */
  private static final class Data {
    boolean present;
    boolean isObject;
    String room;
    boolean roomInvalid;
    boolean online;
    String token;
    boolean tokenInvalid;
    Position since;
    boolean sinceInvalid;
  }

  public static DecodeResult decode(String text) {
    String type = null;
    Long id = null;
    boolean idInvalid = false;
    Data data = new Data();
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new DecodeResult.Fatal(CloseCode.INVALID_PAYLOAD, "a message must be a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "type" -> {
            type = value == JsonToken.VALUE_STRING ? p.getText() : "";
            p.skipChildren();
          }
          case "id" -> {
            if (value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
              id = p.getLongValue();
            } else {
              idInvalid = true;
              p.skipChildren();
            }
          }
          case "data" -> readData(p, value, data);
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        return new DecodeResult.Fatal(CloseCode.INVALID_PAYLOAD, "trailing data after the JSON object");
      }
    } catch (IOException | RuntimeException e) {
      return new DecodeResult.Fatal(CloseCode.INVALID_PAYLOAD, "a message must be a JSON object");
    }
    return request(type, id, idInvalid, data);
  }

  private static void readData(JsonParser p, JsonToken value, Data data) throws IOException {
    data.present = value != JsonToken.VALUE_NULL;
    if (value != JsonToken.START_OBJECT) {
      p.skipChildren();
      return;
    }
    data.isObject = true;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      switch (field) {
        case "room" -> {
          if (v == JsonToken.VALUE_STRING) {
            data.room = p.getText();
          } else {
            data.roomInvalid = true;
          }
        }
        case "online" -> data.online = v == JsonToken.VALUE_TRUE;
        case "token" -> {
          if (v == JsonToken.VALUE_STRING && p.getTextLength() <= MAX_TOKEN_CHARS) {
            data.token = p.getText();
          } else {
            data.tokenInvalid = true;
          }
        }
        case "since" -> readSince(p, v, data);
        default -> {
        }
      }
      p.skipChildren();
    }
  }

  /** {@code "since": {"offset": O, "epoch": E}}: O a whole number from 0, E a short string. */
  private static void readSince(JsonParser p, JsonToken v, Data data) throws IOException {
    if (v != JsonToken.START_OBJECT) {
      data.sinceInvalid = v != JsonToken.VALUE_NULL;
      return;
    }
    Long offset = null;
    String epoch = null;
    boolean invalid = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken fv = p.nextToken();
      if ("offset".equals(field)) {
        if (fv == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER && p.getLongValue() >= 0) {
          offset = p.getLongValue();
        } else {
          invalid = true;
        }
      } else if ("epoch".equals(field)) {
        if (fv == JsonToken.VALUE_STRING && p.getTextLength() <= MAX_EPOCH_CHARS) {
          epoch = p.getText();
        } else {
          invalid = true;
        }
      }
      p.skipChildren();
    }
    if (invalid || offset == null || epoch == null) {
      data.sinceInvalid = true;
    } else {
      data.since = new Position(offset, epoch);
    }
  }

  private static DecodeResult request(String type, Long id, boolean idInvalid, Data data) {
    if (idInvalid) {
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST, "id must be an integer", null);
    }
    if (type == null || type.isEmpty()) {
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST, "type must be a string", id);
    }
    MessageType kind = MessageType.fromClient(type);
    if (kind == null) {
      return new DecodeResult.Rejected(ErrorCode.UNKNOWN_TYPE, "unknown type " + truncate(type), id);
    }
    if (kind == MessageType.PING) {
      return new DecodeResult.Request(new ClientRequest(kind, id, null, false));
    }
    if (!data.isObject) {
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST,
        data.present ? "data must be an object" : kind + " needs data {" + (kind == MessageType.REFRESH ? "\"token\"" : "\"room\"") + ": ...}", id);
    }
    if (kind == MessageType.REFRESH) {
      if (data.tokenInvalid || data.token == null || data.token.isEmpty()) {
        return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST, "data.token must be a token (a non-empty string)", id);
      }
      return new DecodeResult.Request(ClientRequest.refresh(id, data.token));
    }
    if (data.roomInvalid || data.room == null) {
      // Missing or not a string: data of the wrong shape (PROTOCOL.md), not a room name refused.
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST, "data.room must be a string", id);
    }
    String problem = RoomName.problem(data.room);
    if (problem != null) {
      return new DecodeResult.Rejected(ErrorCode.BAD_ROOM, problem, id);
    }
    if (kind == MessageType.JOIN && data.sinceInvalid) {
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST, "data.since must be {\"offset\": a whole number, \"epoch\": a string}", id);
    }
    return new DecodeResult.Request(new ClientRequest(kind, id, data.room, data.online, kind == MessageType.JOIN ? data.since : null, null));
  }

  private static String truncate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }
}
