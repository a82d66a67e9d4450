package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The broker is not the group's coordinator; find the coordinator again and retry. Retriable ({@link ErrorCode#NOT_COORDINATOR}).
 *
 * <p>Thread-safety: immutable.
 */
public class NotCoordinatorException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public NotCoordinatorException(String message) {
        super(ErrorCode.NOT_COORDINATOR, message);
    }

    public NotCoordinatorException(String message, Throwable cause) {
        super(ErrorCode.NOT_COORDINATOR, message, cause);
    }
}
