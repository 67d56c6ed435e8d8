package io.pushgate.bench;

import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;

/**
 * One event loop of a child process with the subscribers it owns and their counters. Everything in
 * a lane is read and written on that loop only, so nothing here is synchronised.
 */
final class Lane {

  final Context context;
  final Tally tally = new Tally();
  final List<Subscriber> subscribers = new ArrayList<>();
  long pingRound;
  /** The frame being read, copied out of its (direct) buffer once so that items parse from an array. */
  byte[] scratch = new byte[64 * 1024];

  Lane(Context context) {
    this.context = context;
  }
}
