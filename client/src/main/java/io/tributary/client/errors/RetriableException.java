package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A failure that may go away if the same request is sent again after a backoff (and, for routing
 * errors, a metadata refresh). The producer retries these itself within its delivery timeout; the
 * application sees one only when the timeout or the retry budget ran out.
 *
 * <p>Thread-safety: immutable.
 */
public class RetriableException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public RetriableException(ErrorCode code, String message) {
        super(code, message, true);
    }

    public RetriableException(ErrorCode code, String message, Throwable cause) {
        super(code, message, true, cause);
    }

    /** For a retriable code this client does not know. */
    public RetriableException(int codeValue, String message, Throwable cause) {
        super(codeValue, message, true, cause);
    }
}
