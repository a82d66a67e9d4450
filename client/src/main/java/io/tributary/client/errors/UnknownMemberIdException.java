package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The coordinator does not know this group member; it drops its partitions without committing and joins again. Not retriable ({@link ErrorCode#UNKNOWN_MEMBER_ID}).
 *
 * <p>Thread-safety: immutable.
 */
public class UnknownMemberIdException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public UnknownMemberIdException(String message) {
        super(ErrorCode.UNKNOWN_MEMBER_ID, message, false);
    }

    public UnknownMemberIdException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN_MEMBER_ID, message, false, cause);
    }
}
