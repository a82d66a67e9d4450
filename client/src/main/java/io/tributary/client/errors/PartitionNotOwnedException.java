package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A member committed an offset for a partition it does not own. Not retriable ({@link ErrorCode#PARTITION_NOT_OWNED}).
 *
 * <p>Thread-safety: immutable.
 */
public class PartitionNotOwnedException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public PartitionNotOwnedException(String message) {
        super(ErrorCode.PARTITION_NOT_OWNED, message, false);
    }

    public PartitionNotOwnedException(String message, Throwable cause) {
        super(ErrorCode.PARTITION_NOT_OWNED, message, false, cause);
    }
}
