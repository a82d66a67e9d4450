package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The partition has no leader right now (election under way, or a majority of its replicas down). Retriable ({@link ErrorCode#LEADER_NOT_AVAILABLE}).
 *
 * <p>Thread-safety: immutable.
 */
public class LeaderNotAvailableException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public LeaderNotAvailableException(String message) {
        super(ErrorCode.LEADER_NOT_AVAILABLE, message);
    }

    public LeaderNotAvailableException(String message, Throwable cause) {
        super(ErrorCode.LEADER_NOT_AVAILABLE, message, cause);
    }
}
