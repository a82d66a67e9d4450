package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The group does not exist. Not retriable ({@link ErrorCode#GROUP_ID_NOT_FOUND}).
 *
 * <p>Thread-safety: immutable.
 */
public class GroupIdNotFoundException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public GroupIdNotFoundException(String message) {
        super(ErrorCode.GROUP_ID_NOT_FOUND, message, false);
    }

    public GroupIdNotFoundException(String message, Throwable cause) {
        super(ErrorCode.GROUP_ID_NOT_FOUND, message, false, cause);
    }
}
