import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

/**
 * A separate pusher's view of the push API: POST /push/room one request at a time, paced at RATE
 * requests a second for SECONDS, each timed from send to the whole answer; prints one line
 * {@code PUSHLATENCY {"count":..,"errors":..,"p50Ms":..,"p90Ms":..,"p99Ms":..,"maxMs":..}}.
 * Bounded: RATE x SECONDS requests and SECONDS + 30 s at most. Loopback targets only.
 * Run with the JDK's source launcher: {@code java src/bench/PushLatency.java URL ROOM RATE SECONDS}.
 */
public final class PushLatency {

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: java src/bench/PushLatency.java http://127.0.0.1:PORT/push/room ROOM RATE SECONDS");
      System.exit(2);
    }
    URI uri = URI.create(args[0]);
    if (!uri.getHost().startsWith("127.") && !uri.getHost().equals("localhost")) {
      throw new IllegalArgumentException("loopback targets only: " + uri);
    }
    String room = args[1];
    int rate = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int total = rate * seconds;
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds + 30L).toNanos();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    String body = "{\"room\":\"" + room + "\",\"items\":[{\"probe\":true}]}";
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
      .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    // Two untimed requests first: the connection, and the first pass through the client's code.
    for (int i = 0; i < 2; i++) {
      client.send(request, HttpResponse.BodyHandlers.ofString());
    }
    long[] micros = new long[total];
    int done = 0;
    int errors = 0;
    long interval = 1_000_000_000L / rate;
    long next = System.nanoTime();
    while (done < total && System.nanoTime() < deadline) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      next += interval;
      long start = System.nanoTime();
      try {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          errors++;
        }
      } catch (java.io.IOException e) {
        errors++;
      }
      micros[done++] = (System.nanoTime() - start) / 1_000;
    }
    long[] sorted = Arrays.copyOf(micros, done);
    Arrays.sort(sorted);
    System.out.printf(java.util.Locale.ROOT, "PUSHLATENCY {\"count\":%d,\"errors\":%d,\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.2f}%n",
      done, errors, pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99), done == 0 ? 0.0 : sorted[done - 1] / 1000.0);
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000.0;
  }
}
