package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * An idempotent batch does not continue its producer's sequence for the partition (a gap). Not retriable ({@link ErrorCode#OUT_OF_ORDER_SEQUENCE}).
 *
 * <p>Thread-safety: immutable.
 */
public class OutOfOrderSequenceException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public OutOfOrderSequenceException(String message) {
        super(ErrorCode.OUT_OF_ORDER_SEQUENCE, message, false);
    }

    public OutOfOrderSequenceException(String message, Throwable cause) {
        super(ErrorCode.OUT_OF_ORDER_SEQUENCE, message, false, cause);
    }
}
