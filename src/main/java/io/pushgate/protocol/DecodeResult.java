package io.pushgate.protocol;

/** What the decoder made of one text message: a request, an ERROR to answer, or a reason to close. */
public sealed interface DecodeResult {

  record Request(ClientRequest request) implements DecodeResult {
  }

  /** The connection stays open; the client gets an ERROR (with its id when it sent one). */
  record Rejected(ErrorCode code, String message, Long id) implements DecodeResult {
  }

  /** The frame is not a JSON object at all: the connection is closed with {@code code}. */
  record Fatal(CloseCode code, String reason) implements DecodeResult {
  }
}
