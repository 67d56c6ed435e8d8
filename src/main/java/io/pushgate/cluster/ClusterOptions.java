package io.pushgate.cluster;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;

/**
 * What the cluster side needs of the configuration: the bounds another node's broadcast is held to,
 * the same as the API's for a push.
 */
public record ClusterOptions(int maxItemsPerPush, int maxItemBytes, int maxItemDepth, int maxBodyBytes) {

  public static final ClusterOptions DEFAULTS = from(PushgateConfig.defaults());

  public static ClusterOptions from(PushgateConfig config) {
    return new ClusterOptions(config.intLimit(Limit.MAX_ITEMS_PER_PUSH), config.intLimit(Limit.MAX_ITEM_BYTES),
      config.intLimit(Limit.MAX_ITEM_DEPTH), config.intLimit(Limit.MAX_BODY_BYTES));
  }
}
