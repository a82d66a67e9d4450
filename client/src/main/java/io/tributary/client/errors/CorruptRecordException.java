package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A produced record batch was malformed; nothing was written. Not retriable ({@link ErrorCode#CORRUPT_BATCH}).
 *
 * <p>Thread-safety: immutable.
 */
public class CorruptRecordException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public CorruptRecordException(String message) {
        super(ErrorCode.CORRUPT_BATCH, message, false);
    }

    public CorruptRecordException(String message, Throwable cause) {
        super(ErrorCode.CORRUPT_BATCH, message, false, cause);
    }
}
