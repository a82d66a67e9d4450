package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * An idempotent batch was already written, too long ago for the broker to still know its offset. The data is in the log once. Not retriable ({@link ErrorCode#DUPLICATE_SEQUENCE}).
 *
 * <p>Thread-safety: immutable.
 */
public class DuplicateSequenceException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public DuplicateSequenceException(String message) {
        super(ErrorCode.DUPLICATE_SEQUENCE, message, false);
    }

    public DuplicateSequenceException(String message, Throwable cause) {
        super(ErrorCode.DUPLICATE_SEQUENCE, message, false, cause);
    }
}
