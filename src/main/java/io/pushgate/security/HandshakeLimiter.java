package io.pushgate.security;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Handshakes per second, node-wide and per client IP address. One instance per node, shared by the
 * shards (each handshake takes its lock once, for a few hundred nanoseconds; handshakes are rare
 * next to frames). The per-IP buckets are an access-ordered map bounded by {@code maxTrackedIps}:
 * the least recently seen address is forgotten first, which at worst gives it a full bucket again.
 */
public final class HandshakeLimiter {

  /** Why a handshake may not proceed, or {@link #ALLOWED}. */
  public enum Verdict { ALLOWED, NODE_RATE, IP_RATE }

  private final long perNode;
  private final long perIp;
  private final int maxTrackedIps;
  private final SecurityStats stats;
  private final TokenBucket node;
  /** REFRESHes on the node, at the handshakes' rate but a bucket of their own: they cannot starve handshakes. */
  private final TokenBucket refreshes;
  private final LinkedHashMap<String, TokenBucket> ips;

  /**
   * @param perNode handshakes per second on the node, 0 for no limit
   * @param perIp handshakes per second per address, 0 for no limit
   */
  public HandshakeLimiter(long perNode, long perIp, int maxTrackedIps, SecurityStats stats) {
    this.perNode = perNode;
    this.perIp = perIp;
    this.maxTrackedIps = maxTrackedIps;
    this.stats = stats;
    this.node = perNode > 0 ? new TokenBucket(perNode, System.nanoTime()) : null;
    this.refreshes = perNode > 0 ? new TokenBucket(perNode, System.nanoTime()) : null;
    this.ips = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
        if (size() > HandshakeLimiter.this.maxTrackedIps) {
          HandshakeLimiter.this.stats.ipsEvicted.inc();
          return true;
        }
        return false;
      }
    };
  }

  public boolean enabled() {
    return perNode > 0 || perIp > 0;
  }

  /** Takes one handshake from the address's bucket, then from the node's. */
  public synchronized Verdict check(String ip, long nowNanos) {
    if (perIp > 0) {
      TokenBucket bucket = ips.get(ip);
      if (bucket == null) {
        bucket = new TokenBucket(perIp, nowNanos);
        ips.put(ip, bucket);
      }
      if (!bucket.tryTake(nowNanos)) {
        return Verdict.IP_RATE;
      }
    }
    if (node != null && !node.tryTake(nowNanos)) {
      return Verdict.NODE_RATE;
    }
    return Verdict.ALLOWED;
  }

  /**
   * A REFRESH of an open connection costs a token check, as a handshake does: the node takes at most
   * maxHandshakesPerSecond of them, from a bucket of their own, so that refreshes and handshakes
   * together cost at most twice what handshakes alone may.
   */
  public synchronized Verdict checkRefresh(long nowNanos) {
    return refreshes != null && !refreshes.tryTake(nowNanos) ? Verdict.NODE_RATE : Verdict.ALLOWED;
  }

  /** Addresses currently tracked; never more than {@code maxTrackedIps}. */
  public synchronized int trackedIps() {
    return ips.size();
  }

  /**
   * Forgets addresses whose buckets are full again (they carry no information any more), the least
   * recently seen first, at most {@code max} of them, stopping at the first that is not: a bucket
   * refills within a second of its last take, so those seen longer ago are all full, and those after
   * the first that is not were nearly all seen since. Bounded because every shard's handshake waits
   * for this lock: after a reconnect storm the map holds up to maxTrackedIps addresses, and one pass
   * over 100,000 held it for 4-10 ms.
   *
   * @return how many were forgotten; {@code max} means there may be more
   */
  public synchronized int forgetIdle(long nowNanos, int max) {
    int forgotten = 0;
    for (java.util.Iterator<TokenBucket> it = ips.values().iterator(); forgotten < max && it.hasNext(); forgotten++) {
      if (!it.next().isFull(nowNanos)) {
        break;
      }
      it.remove();
    }
    return forgotten;
  }
}
