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

  /** Our messages nest two levels; anything far deeper is abuse, refused before it costs stack. */
  static final int MAX_NESTING = 16;

  private static final JsonFactory JSON = JsonFactory.builder()
    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
    .build();

  private ClientFrameDecoder() {
  }

  public static DecodeResult decode(String text) {
    String type = null;
    Long id = null;
    boolean idInvalid = false;
    boolean hasData = false;
    boolean dataIsObject = false;
    String room = null;
    boolean roomInvalid = false;
    boolean online = false;
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new DecodeResult.Fatal(CloseCode.INVALID_PAYLOAD, "a message must be a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "type" -> {
            if (value == JsonToken.VALUE_STRING) {
              type = p.getText();
            } else {
              type = "";
              p.skipChildren();
            }
          }
          case "id" -> {
            if (value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
              id = p.getLongValue();
            } else {
              idInvalid = true;
              p.skipChildren();
            }
          }
          case "data" -> {
            hasData = value != JsonToken.VALUE_NULL;
            if (value == JsonToken.START_OBJECT) {
              dataIsObject = true;
              while (p.nextToken() == JsonToken.FIELD_NAME) {
                String dataField = p.currentName();
                JsonToken dataValue = p.nextToken();
                if ("room".equals(dataField)) {
                  if (dataValue == JsonToken.VALUE_STRING) {
                    room = p.getText();
                  } else {
                    roomInvalid = true;
                    p.skipChildren();
                  }
                } else if ("online".equals(dataField)) {
                  online = dataValue == JsonToken.VALUE_TRUE;
                  p.skipChildren();
                } else {
                  p.skipChildren();
                }
              }
            } else {
              p.skipChildren();
            }
          }
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        return new DecodeResult.Fatal(CloseCode.INVALID_PAYLOAD, "trailing data after the JSON object");
      }
    } catch (IOException | RuntimeException e) {
      return new DecodeResult.Fatal(CloseCode.INVALID_PAYLOAD, "a message must be a JSON object");
    }
    if (idInvalid) {
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST, "id must be an integer", null);
    }
    if (type == null || type.isEmpty()) {
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST, "type must be a string", id);
    }
    MessageType kind = MessageType.fromClient(type);
    if (kind == null || kind == MessageType.REFRESH) {
      return new DecodeResult.Rejected(ErrorCode.UNKNOWN_TYPE, "unknown type " + truncate(type), id);
    }
    if (kind == MessageType.PING) {
      return new DecodeResult.Request(new ClientRequest(kind, id, null, false));
    }
    if (!dataIsObject) {
      return new DecodeResult.Rejected(ErrorCode.BAD_REQUEST,
        hasData ? "data must be an object" : kind + " needs data {\"room\": ...}", id);
    }
    if (roomInvalid || room == null) {
      return new DecodeResult.Rejected(ErrorCode.BAD_ROOM, "data.room must be a string", id);
    }
    String problem = RoomName.problem(room);
    if (problem != null) {
      return new DecodeResult.Rejected(ErrorCode.BAD_ROOM, problem, id);
    }
    return new DecodeResult.Request(new ClientRequest(kind, id, room, online));
  }

  private static String truncate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }
}
