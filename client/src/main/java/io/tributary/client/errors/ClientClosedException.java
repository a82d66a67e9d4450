package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The client (producer, consumer, admin) was closed: a call made after {@code close()}, or an
 * operation that {@code close} abandoned. Not retriable; code {@link ErrorCode#UNKNOWN}.
 *
 * <p>Thread-safety: immutable.
 */
public class ClientClosedException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public ClientClosedException(String message) {
        super(ErrorCode.UNKNOWN, message, false);
    }
}
