package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The operation conflicts with an assignment change under way in the group; retry after a backoff. Retriable ({@link ErrorCode#REBALANCE_IN_PROGRESS}).
 *
 * <p>Thread-safety: immutable.
 */
public class RebalanceInProgressException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public RebalanceInProgressException(String message) {
        super(ErrorCode.REBALANCE_IN_PROGRESS, message);
    }

    public RebalanceInProgressException(String message, Throwable cause) {
        super(ErrorCode.REBALANCE_IN_PROGRESS, message, cause);
    }
}
