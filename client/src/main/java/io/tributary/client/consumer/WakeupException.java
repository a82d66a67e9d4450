package io.tributary.client.consumer;

import io.tributary.client.errors.TributaryException;
import io.tributary.proto.v1.ErrorCode;

/**
 * Thrown by a blocking {@link Consumer} call after another thread called {@link Consumer#wakeup()}
 * (typically to shut a consumer loop down). Not retriable.
 *
 * <p>Thread-safety: immutable.
 */
public class WakeupException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public WakeupException() {
        super(ErrorCode.UNKNOWN, "the consumer was woken up by wakeup()", false);
    }
}
