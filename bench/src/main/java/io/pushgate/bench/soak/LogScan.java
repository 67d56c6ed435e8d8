package io.pushgate.bench.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The nodes' logs, read for records at ERROR or SEVERE. The nodes log one line per record
 * ({@code TIME LEVEL logger - message}, pushgate-logging.properties); a stack trace's lines follow
 * its record and are not records themselves. The only records expected are those a SIGKILL causes
 * on the other nodes, right after it: see {@link #PEER_RESET}.
 */
final class LogScan {

  private static final Pattern RECORD = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\S+) (SEVERE|ERROR) .*");
  /** pushgate-logging.properties' time: local time with its offset from UTC (older nodes wrote a Z). */
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSxx");

  /**
   * Vert.x logs an I/O error of any of its connections at SEVERE, so a node whose peer was killed
   * logs the reset of the event-bus connection to it: expected within {@link #AFTER_KILL} of a kill.
   */
  static final Pattern PEER_RESET = Pattern.compile(" SEVERE io\\.vertx\\.core\\.net\\.impl\\.ConnectionBase - \\S+ failed with error\\(-104\\): Connection reset by peer$");
  static final Duration AFTER_KILL = Duration.ofSeconds(10);

  private LogScan() {
  }

  /** The unexpected ERROR and SEVERE records of these logs, as "file: line". */
  static List<String> unexpected(List<Path> logs, List<Instant> kills) throws IOException {
    List<String> found = new ArrayList<>();
    for (Path log : logs) {
      if (!Files.exists(log)) {
        continue;
      }
      for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
        Matcher m = RECORD.matcher(line);
        if (m.matches() && !(PEER_RESET.matcher(line).find() && afterAKill(m.group(1), kills))) {
          found.add(log.getFileName() + ": " + line);
        }
      }
    }
    return found;
  }

  private static boolean afterAKill(String time, List<Instant> kills) {
    Instant at;
    try {
      at = time.endsWith("Z") ? Instant.parse(time) : OffsetDateTime.parse(time, TIME).toInstant();
    } catch (DateTimeParseException e) {
      return false;
    }
    return kills.stream().anyMatch(k -> !at.isBefore(k.minusSeconds(1)) && !at.isAfter(k.plus(AFTER_KILL)));
  }
}
