package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A replication factor is not valid (not positive, or more than the live brokers). Not retriable ({@link ErrorCode#INVALID_REPLICATION_FACTOR}).
 *
 * <p>Thread-safety: immutable.
 */
public class InvalidReplicationFactorException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public InvalidReplicationFactorException(String message) {
        super(ErrorCode.INVALID_REPLICATION_FACTOR, message, false);
    }

    public InvalidReplicationFactorException(String message, Throwable cause) {
        super(ErrorCode.INVALID_REPLICATION_FACTOR, message, false, cause);
    }
}
