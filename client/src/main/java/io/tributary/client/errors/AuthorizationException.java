package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The caller is not allowed to perform this operation on this resource. Not retriable ({@link ErrorCode#UNAUTHORIZED}).
 *
 * <p>Thread-safety: immutable.
 */
public class AuthorizationException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public AuthorizationException(String message) {
        super(ErrorCode.UNAUTHORIZED, message, false);
    }

    public AuthorizationException(String message, Throwable cause) {
        super(ErrorCode.UNAUTHORIZED, message, false, cause);
    }
}
