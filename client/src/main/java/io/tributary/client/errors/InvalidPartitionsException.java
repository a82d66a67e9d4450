package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A partition count is not valid. Not retriable ({@link ErrorCode#INVALID_PARTITIONS}).
 *
 * <p>Thread-safety: immutable.
 */
public class InvalidPartitionsException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public InvalidPartitionsException(String message) {
        super(ErrorCode.INVALID_PARTITIONS, message, false);
    }

    public InvalidPartitionsException(String message, Throwable cause) {
        super(ErrorCode.INVALID_PARTITIONS, message, false, cause);
    }
}
