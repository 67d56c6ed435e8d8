package io.pushgate.bench.soak;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the soak's clients saw, added up across lanes: read by the per-minute line and the verdict. */
final class ClientStats {

  final LongAdder receiverConnects = new LongAdder();
  final LongAdder receiverConnectFailures = new LongAdder();
  final LongAdder streamItems = new LongAdder();
  final LongAdder allItems = new LongAdder();
  final LongAdder lowItems = new LongAdder();
  final LongAdder rejoins = new LongAdder();
  final LongAdder recovered = new LongAdder();
  final LongAdder notRecovered = new LongAdder();
  final LongAdder pongs = new LongAdder();
  final LongAdder pingTimeouts = new LongAdder();
  final LongAdder refreshes = new LongAdder();
  final LongAdder refreshFailures = new LongAdder();
  final LongAdder joinRetries = new LongAdder();
  /** Closes of receivers' sockets by the code the server (or the network: 1006) gave. */
  final Map<Integer, LongAdder> receiverCloses = new ConcurrentHashMap<>();
  final Map<String, LongAdder> receiverErrors = new ConcurrentHashMap<>();

  final LongAdder churnConnections = new LongAdder();
  final LongAdder churnRefused401 = new LongAdder();
  final LongAdder churnFailures = new LongAdder();
  final LongAdder churnTokenExpired = new LongAdder();
  final LongAdder churnSkipped = new LongAdder();
  final LongAdder slowOpened = new LongAdder();

  static void count(Map<Integer, LongAdder> map, int key) {
    map.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  static void count(Map<String, LongAdder> map, String key) {
    map.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  static <K extends Comparable<K>> Map<K, Long> snapshot(Map<K, LongAdder> map) {
    Map<K, Long> out = new TreeMap<>();
    map.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
