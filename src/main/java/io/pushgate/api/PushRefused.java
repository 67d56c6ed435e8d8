package io.pushgate.api;

/** A push refused at the edge, before anything was accepted. */
public final class PushRefused extends RuntimeException {

  private final ApiError error;

  public PushRefused(ApiError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
