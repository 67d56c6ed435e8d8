package io.pushgate.api;

import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.merge.MergeResult;
import io.pushgate.merge.PushBatch;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Throttle;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The road of a validated push: this node's merger takes it whole or refuses it whole, and sends
 * what it took once to every other node. One hop to the merger and back; a refusal becomes an
 * {@link ApiError} here and nowhere else.
 */
final class Submission {

  private static final Logger log = Logger.getLogger(Submission.class.getName());
  /**
   * A history owner that fails over makes every push to its streams time out, at the pushers' rate:
   * a line a minute says so (the answers, 500 and 503, are counted as api.refused).
   */
  private static final Throttle timeouts = new Throttle(60_000);
  private static final Throttle failures = new Throttle(60_000);

  private final Vertx vertx;
  private final Counter accepted;

  Submission(Vertx vertx, Counter accepted) {
    this.vertx = vertx;
    this.accepted = accepted;
  }

  /**
   * @return the answer's body: {@code {"accepted": N}}, for a stream with the {@code offset} and
   *         {@code epoch} of the push's last item; or fails with a {@link PushRefused}
   */
  Future<JsonObject> submit(PushBatch batch) {
    return vertx.eventBus().<MergeResult>request(Addresses.MERGE, batch, Local.OPTIONS)
      .recover(e -> {
        if (e instanceof ReplyException r && r.failureType() == ReplyFailure.TIMEOUT) {
          // The merger has it, and may yet take it (a stream's append can outlast the request).
          long n = timeouts.occurred();
          if (n > 0) {
            log.warning("the merger did not answer a push within " + Local.OPTIONS.getSendTimeout() + " ms: answered 500, taken or not ("
              + n + " such push(es) since the last line)");
          }
          return Future.failedFuture(new PushRefused(ApiError.INTERNAL,
            "the node did not confirm the push in time: it may have been taken; retry with the same idempotencyKey"));
        }
        long n = failures.occurred();
        if (n > 0) {
          // A ReplyException (no merger yet, or stopping) says all there is in its message; anything else gets its trace.
          if (e instanceof ReplyException) {
            log.warning("push could not be handed to the merger: " + e.getMessage() + " (" + n + " such push(es) since the last line)");
          } else {
            log.log(Level.WARNING, "push could not be handed to the merger (" + n + " such push(es) since the last line)", e);
          }
        }
        return Future.failedFuture(new PushRefused(ApiError.QUEUE_FULL, "node not ready to accept pushes, retry shortly"));
      })
      .compose(reply -> {
        if (reply.body() instanceof MergeResult.Refused no) {
          ApiError error = switch (no.reason()) {
            case OUTCOME_UNKNOWN -> ApiError.INTERNAL;
            case DRAINING -> ApiError.DRAINING;
            default -> ApiError.QUEUE_FULL;
          };
          return Future.failedFuture(new PushRefused(error, no.message()));
        }
        MergeResult.Accepted ok = (MergeResult.Accepted) reply.body();
        accepted.inc();
        JsonObject answer = new JsonObject().put("accepted", ok.items());
        if (ok.last() != null) {
          answer.put("offset", ok.last().offset()).put("epoch", ok.last().epoch());
        }
        if (batch.low()) {
          answer.put("bestEffort", ok.items()); // sampled, if at all, only once its room is over budget
        }
        return Future.succeededFuture(answer);
      });
  }

  private static final Throttle unexpected = new Throttle(60_000);

  /** The refusal a failed submission carries; anything but a refusal is a failure of pushgate's, said with its trace. */
  static PushRefused refusal(Throwable failure) {
    if (failure instanceof PushRefused refused) {
      return refused;
    }
    long n = unexpected.occurred();
    if (n > 0) {
      log.log(Level.SEVERE, "a push failed unexpectedly: answered 500 (" + n + " such push(es) since the last line)", failure);
    }
    return new PushRefused(ApiError.INTERNAL, "internal error");
  }

  /** Answers an event-bus request with the submission's outcome. */
  static void answer(Message<?> msg, Future<JsonObject> outcome, Refusals refusals) {
    outcome.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        refusals.fail(msg, refusal(ar.cause()));
      }
    });
  }
}
