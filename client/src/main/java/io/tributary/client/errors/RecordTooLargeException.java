package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A record batch (or a single record) is larger than the topic's max.message.bytes or the client's limits; nothing was written. Not retriable ({@link ErrorCode#BATCH_TOO_LARGE}).
 *
 * <p>Thread-safety: immutable.
 */
public class RecordTooLargeException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public RecordTooLargeException(String message) {
        super(ErrorCode.BATCH_TOO_LARGE, message, false);
    }

    public RecordTooLargeException(String message, Throwable cause) {
        super(ErrorCode.BATCH_TOO_LARGE, message, false, cause);
    }
}
