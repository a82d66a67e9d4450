package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The broker does not lead the partition. Carries the broker's hint about the leader when it knew
 * one ({@link #leaderId()} &gt;= 0); the client's metadata cache uses the hint at once and
 * refreshes. Retriable ({@link ErrorCode#NOT_LEADER}).
 *
 * <p>Thread-safety: immutable.
 */
public class NotLeaderException extends RetriableException {

    private static final long serialVersionUID = 1L;

    private final int leaderId;
    private final int leaderEpoch;

    public NotLeaderException(String message) {
        this(message, -1, 0);
    }

    public NotLeaderException(String message, int leaderId, int leaderEpoch) {
        super(ErrorCode.NOT_LEADER, message);
        this.leaderId = leaderId;
        this.leaderEpoch = leaderEpoch;
    }

    /** The hinted leader's broker id, or -1 when the broker did not know it. */
    public int leaderId() {
        return leaderId;
    }

    /** The hinted leader's epoch, 0 when unknown. */
    public int leaderEpoch() {
        return leaderEpoch;
    }
}
