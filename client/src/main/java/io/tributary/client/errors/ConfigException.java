package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A client setting is unknown, missing or invalid. The message names the key, the value and what
 * is expected. Raised by the constructors of the client configurations. Not retriable; code
 * {@link ErrorCode#INVALID_CONFIG}.
 *
 * <p>Thread-safety: immutable.
 */
public class ConfigException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(ErrorCode.INVALID_CONFIG, message, false);
    }
}
