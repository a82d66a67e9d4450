package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A topic with this name already exists. Not retriable ({@link ErrorCode#TOPIC_ALREADY_EXISTS}).
 *
 * <p>Thread-safety: immutable.
 */
public class TopicExistsException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public TopicExistsException(String message) {
        super(ErrorCode.TOPIC_ALREADY_EXISTS, message, false);
    }

    public TopicExistsException(String message, Throwable cause) {
        super(ErrorCode.TOPIC_ALREADY_EXISTS, message, false, cause);
    }
}
