package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * Data read from disk failed its checksum on the broker (corruption at rest). Not retriable ({@link ErrorCode#CORRUPT_LOG}).
 *
 * <p>Thread-safety: immutable.
 */
public class CorruptLogException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public CorruptLogException(String message) {
        super(ErrorCode.CORRUPT_LOG, message, false);
    }

    public CorruptLogException(String message, Throwable cause) {
        super(ErrorCode.CORRUPT_LOG, message, false, cause);
    }
}
