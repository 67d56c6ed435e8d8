package io.pushgate.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Pushes the same number of numbered items to each of a storm's rooms, one request per room, in
 * order: each room's items are numbered 0, 1, 2, ... across calls, as every subscriber of a room
 * expects them. A refused request (503: the node's queue or the history was busy) is sent again
 * unchanged, a bounded number of times.
 */
final class RoomPusher {

  private static final int ATTEMPTS = 100;
  private static final long RETRY_MILLIS = 20;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ItemCodec codec;
  private final URI uri;
  private final List<String> rooms;
  private long pushed;
  private long retries;

  RoomPusher(BenchOptions o) {
    this.codec = new ItemCodec(o.itemBytes);
    this.uri = o.pushUri();
    this.rooms = o.roomNames();
  }

  /** Pushes {@code count} more items to every room; @return the items each room has had in all */
  long push(int count) throws IOException, InterruptedException {
    for (String room : rooms) {
      Buffer body = Buffer.buffer(32 + count * (codec.size() + 1));
      body.appendString("{\"room\":").appendString(Json.encode(room)).appendString(",\"items\":[");
      for (int i = 0; i < count; i++) {
        if (i > 0) {
          body.appendByte((byte) ',');
        }
        codec.write(body, pushed + i, ItemCodec.nowMicros());
      }
      send(room, body.appendString("]}").getBytes());
    }
    pushed += count;
    return pushed;
  }

  private void send(String room, byte[] body) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
      .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return;
      }
      if (r.statusCode() != 503) {
        throw new IllegalStateException("push to " + room + " answered " + r.statusCode() + ": " + r.body());
      }
      retries++;
      Thread.sleep(RETRY_MILLIS); // backoff before the same request again
    }
    throw new IllegalStateException("push to " + room + " refused " + ATTEMPTS + " times");
  }

  long pushed() {
    return pushed;
  }

  long retries() {
    return retries;
  }
}
