package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The producer epoch is older than the latest one for its id: another instance took the id over. The producer is fenced. Not retriable ({@link ErrorCode#INVALID_PRODUCER_EPOCH}).
 *
 * <p>Thread-safety: immutable.
 */
public class InvalidProducerEpochException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public InvalidProducerEpochException(String message) {
        super(ErrorCode.INVALID_PRODUCER_EPOCH, message, false);
    }

    public InvalidProducerEpochException(String message, Throwable cause) {
        super(ErrorCode.INVALID_PRODUCER_EPOCH, message, false, cause);
    }
}
