package io.pushgate.history;

/**
 * An append that failed without saying whether it was applied: its owner ran it but the backup did
 * not confirm, or the owner did not answer in time. The items may hold offsets already (the node
 * reads where the stream stands and delivers them); the pusher must be told it may have been taken.
 */
public final class AppendOutcomeUnknown extends RuntimeException {

  public AppendOutcomeUnknown(Throwable cause) {
    super("the stream's history did not confirm the append (" + cause.getMessage() + ")", cause);
  }
}
