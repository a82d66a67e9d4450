package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The broker is overloaded (a bounded queue is full): back-pressure, retry after a backoff. Retriable ({@link ErrorCode#BROKER_BUSY}).
 *
 * <p>Thread-safety: immutable.
 */
public class BrokerBusyException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public BrokerBusyException(String message) {
        super(ErrorCode.BROKER_BUSY, message);
    }

    public BrokerBusyException(String message, Throwable cause) {
        super(ErrorCode.BROKER_BUSY, message, cause);
    }
}
