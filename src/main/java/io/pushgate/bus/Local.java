package io.pushgate.bus;

import io.vertx.core.eventbus.DeliveryOptions;

/** How verticles of one node talk to each other: never across the cluster, and never waiting long. */
public final class Local {

  /**
   * Local delivery with a 5 s reply deadline. Shared by every sender: never change it; copy it
   * ({@code new DeliveryOptions(Local.OPTIONS)}) to set a longer deadline.
   */
  public static final DeliveryOptions OPTIONS = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000);

  private Local() {
  }
}
