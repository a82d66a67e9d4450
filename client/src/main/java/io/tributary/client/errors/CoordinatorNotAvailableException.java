package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The group's coordinator is not available; FindCoordinator again after a backoff. Retriable ({@link ErrorCode#COORDINATOR_NOT_AVAILABLE}).
 *
 * <p>Thread-safety: immutable.
 */
public class CoordinatorNotAvailableException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public CoordinatorNotAvailableException(String message) {
        super(ErrorCode.COORDINATOR_NOT_AVAILABLE, message);
    }

    public CoordinatorNotAvailableException(String message, Throwable cause) {
        super(ErrorCode.COORDINATOR_NOT_AVAILABLE, message, cause);
    }
}
