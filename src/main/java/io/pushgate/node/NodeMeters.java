package io.pushgate.node;

import io.micrometer.core.instrument.Tags;
import io.netty.util.internal.PlatformDependent;
import io.pushgate.metrics.DirectMemory;
import io.pushgate.metrics.Stats;
import io.pushgate.shard.NodeRooms;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ForkJoinPool;

/**
 * The node's own figures, read at scrape or request time: distinct rooms, the configured minimum of
 * cluster members, direct memory against its limit, the kernel's listen-queue overflows, and (in
 * /stats only: Micrometer's jvm_* meters have them) the heap.
 */
final class NodeMeters {

  private NodeMeters() {
  }

  static Stats declare(Membership membership, NodeRooms rooms) {
    Stats stats = Stats.of(Tags.empty(), null);
    stats.gauge("rooms", "pushgate_node_rooms", "distinct rooms with members on this node (bounded by maxRooms)", rooms::size);
    stats.gauge("node.minClusterMembers", "pushgate_cluster_members_min", "minClusterMembers: with fewer members the node is not ready",
      membership::min);
    stats.gauge("node.directMemoryUsedBytes", "pushgate_direct_memory_used_bytes",
      "direct memory in use: Netty's own allocations (encoded frames) plus the JVM's direct buffers", DirectMemory::used);
    stats.gauge("node.directMemoryMaxBytes", "pushgate_direct_memory_max_bytes",
      "the JVM's direct-memory limit (-XX:MaxDirectMemorySize, else about the heap's maximum)", DirectMemory::max);
    stats.count("node.listenOverflows", "pushgate_listen_overflows",
      "SYNs the kernel dropped at a full listen queue in this network namespace (TcpExt ListenOverflows); those clients retry after 1 s or more",
      Tags.empty(), () -> Math.max(0, KernelCounters.listenOverflows()));
    // /metrics has it as Micrometer's jvm_threads_started_threads_total.
    stats.info("jvm.threadsStarted", () -> ManagementFactory.getThreadMXBean().getTotalStartedThreadCount());
    stats.info("jvm.commonPoolParallelism", ForkJoinPool::getCommonPoolParallelism);
    stats.info("jvm.heapUsedBytes", () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    stats.info("jvm.heapCommittedBytes", () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted());
    stats.info("jvm.heapMaxBytes", () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax());
    // Netty's own count of the direct memory it allocated (-1 when it does not track it).
    stats.info("jvm.nettyDirectBytes", PlatformDependent::usedDirectMemory);
    stats.info("jvm.directBufferBytes", DirectMemory::jvmBuffers);
    return stats;
  }
}
