package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The broker-side timeout passed, or the client's deadline for one call expired. The outcome of a write is unknown; idempotence makes a retry safe. Retriable ({@link ErrorCode#REQUEST_TIMED_OUT}).
 *
 * <p>Thread-safety: immutable.
 */
public class RequestTimedOutException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public RequestTimedOutException(String message) {
        super(ErrorCode.REQUEST_TIMED_OUT, message);
    }

    public RequestTimedOutException(String message, Throwable cause) {
        super(ErrorCode.REQUEST_TIMED_OUT, message, cause);
    }
}
