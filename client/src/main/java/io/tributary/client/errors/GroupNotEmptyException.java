package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The operation needs a group without members and the group has members. Not retriable ({@link ErrorCode#GROUP_NOT_EMPTY}).
 *
 * <p>Thread-safety: immutable.
 */
public class GroupNotEmptyException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public GroupNotEmptyException(String message) {
        super(ErrorCode.GROUP_NOT_EMPTY, message, false);
    }

    public GroupNotEmptyException(String message, Throwable cause) {
        super(ErrorCode.GROUP_NOT_EMPTY, message, false, cause);
    }
}
