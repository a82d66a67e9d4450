package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The metadata quorum has no leader right now; retry after a backoff. Retriable ({@link ErrorCode#CONTROLLER_NOT_AVAILABLE}).
 *
 * <p>Thread-safety: immutable.
 */
public class ControllerNotAvailableException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public ControllerNotAvailableException(String message) {
        super(ErrorCode.CONTROLLER_NOT_AVAILABLE, message);
    }

    public ControllerNotAvailableException(String message, Throwable cause) {
        super(ErrorCode.CONTROLLER_NOT_AVAILABLE, message, cause);
    }
}
