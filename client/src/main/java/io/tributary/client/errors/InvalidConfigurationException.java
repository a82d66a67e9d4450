package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A topic or broker configuration key is unknown or read-only, or its value is invalid (a broker answer; client-side settings fail with {@link ConfigException}). Not retriable ({@link ErrorCode#INVALID_CONFIG}).
 *
 * <p>Thread-safety: immutable.
 */
public class InvalidConfigurationException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public InvalidConfigurationException(String message) {
        super(ErrorCode.INVALID_CONFIG, message, false);
    }

    public InvalidConfigurationException(String message, Throwable cause) {
        super(ErrorCode.INVALID_CONFIG, message, false, cause);
    }
}
