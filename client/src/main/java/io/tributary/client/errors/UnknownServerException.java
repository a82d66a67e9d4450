package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * An unexpected failure inside the broker (details are in the broker's log), or a gRPC status from no Tributary broker. Not retriable ({@link ErrorCode#UNKNOWN}).
 *
 * <p>Thread-safety: immutable.
 */
public class UnknownServerException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public UnknownServerException(String message) {
        super(ErrorCode.UNKNOWN, message, false);
    }

    public UnknownServerException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN, message, false, cause);
    }
}
