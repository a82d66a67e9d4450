package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The topic name is not valid (empty, too long, bad characters, or reserved). Not retriable ({@link ErrorCode#INVALID_TOPIC_NAME}).
 *
 * <p>Thread-safety: immutable.
 */
public class InvalidTopicException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public InvalidTopicException(String message) {
        super(ErrorCode.INVALID_TOPIC_NAME, message, false);
    }

    public InvalidTopicException(String message, Throwable cause) {
        super(ErrorCode.INVALID_TOPIC_NAME, message, false, cause);
    }
}
