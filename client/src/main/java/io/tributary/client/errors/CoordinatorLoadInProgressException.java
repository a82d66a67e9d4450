package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The coordinator is still loading the group's state; retry on the same broker after a backoff. Retriable ({@link ErrorCode#COORDINATOR_LOAD_IN_PROGRESS}).
 *
 * <p>Thread-safety: immutable.
 */
public class CoordinatorLoadInProgressException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public CoordinatorLoadInProgressException(String message) {
        super(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, message);
    }

    public CoordinatorLoadInProgressException(String message, Throwable cause) {
        super(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, message, cause);
    }
}
