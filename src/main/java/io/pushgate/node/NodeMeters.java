package io.pushgate.node;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.json.JsonObject;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The node's own gauges, read at scrape time: cluster members against the configured minimum,
 * direct memory against its limit, and the kernel's listen-queue overflows.
 */
final class NodeMeters {

  private NodeMeters() {
  }

  static void bind(MeterRegistry registry, Membership membership) {
    Gauge.builder("pushgate_cluster_members", membership, Membership::members)
      .description("cluster members this node sees, itself included (1 standalone)").register(registry);
    Gauge.builder("pushgate_cluster_members_min", membership, Membership::min)
      .description("minClusterMembers: fewer members than this and the node is not ready").register(registry);
    Gauge.builder("pushgate_direct_memory_used_bytes", NodeMeters::directMemoryUsed)
      .description("direct memory in use: Netty's own allocations (encoded frames) plus the JVM's direct buffers").register(registry);
    Gauge.builder("pushgate_direct_memory_max_bytes", PlatformDependent::maxDirectMemory)
      .description("the JVM's direct-memory limit (-XX:MaxDirectMemorySize, else about the heap's maximum)").register(registry);
    FunctionCounter.builder("pushgate_listen_overflows", KernelCounters.class, k -> Math.max(0, KernelCounters.listenOverflows()))
      .description("SYNs the kernel dropped at a full listen queue in this network namespace (TcpExt ListenOverflows); those clients retry after 1 s or more")
      .register(registry);
  }

  static long directMemoryUsed() {
    long netty = Math.max(0, PlatformDependent.usedDirectMemory());
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if ("direct".equals(pool.getName())) {
        return netty + pool.getMemoryUsed();
      }
    }
    return netty;
  }

  /** The same figures for /stats. */
  static JsonObject toJson(Membership membership) {
    return new JsonObject()
      .put("clusterMembers", membership.members())
      .put("minClusterMembers", membership.min())
      .put("directMemoryUsedBytes", directMemoryUsed())
      .put("directMemoryMaxBytes", PlatformDependent.maxDirectMemory())
      .put("listenOverflows", KernelCounters.listenOverflows());
  }
}
