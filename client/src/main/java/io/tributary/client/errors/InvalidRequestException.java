package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The request is malformed or incoherent; the message names the field. Not retriable ({@link ErrorCode#INVALID_REQUEST}).
 *
 * <p>Thread-safety: immutable.
 */
public class InvalidRequestException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(ErrorCode.INVALID_REQUEST, message, false);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(ErrorCode.INVALID_REQUEST, message, false, cause);
    }
}
