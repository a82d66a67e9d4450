package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A serializer or deserializer failed: the message names the topic and the cause. Not retriable;
 * code {@link ErrorCode#UNKNOWN}.
 *
 * <p>Thread-safety: immutable.
 */
public class SerializationException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public SerializationException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN, message, false, cause);
    }
}
