package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A client-side time limit ran out: {@code send} blocked longer than {@code max.block.ms} for
 * buffer memory or metadata, a record was not acknowledged within {@code delivery.timeout.ms}, an
 * API call passed its timeout. The message names the limit and its setting. For a write, the
 * outcome is unknown. Retriable ({@link ErrorCode#REQUEST_TIMED_OUT}).
 *
 * <p>Thread-safety: immutable.
 */
public class ClientTimeoutException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public ClientTimeoutException(String message) {
        super(ErrorCode.REQUEST_TIMED_OUT, message);
    }

    public ClientTimeoutException(String message, Throwable cause) {
        super(ErrorCode.REQUEST_TIMED_OUT, message, cause);
    }
}
