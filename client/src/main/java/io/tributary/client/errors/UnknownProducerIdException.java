package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The broker holds no state for the producer id on this partition (it expired, or was never seen). Not retriable ({@link ErrorCode#UNKNOWN_PRODUCER_ID}).
 *
 * <p>Thread-safety: immutable.
 */
public class UnknownProducerIdException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public UnknownProducerIdException(String message) {
        super(ErrorCode.UNKNOWN_PRODUCER_ID, message, false);
    }

    public UnknownProducerIdException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN_PRODUCER_ID, message, false, cause);
    }
}
